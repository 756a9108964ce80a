import type * as oauth from 'oauth4webapi';
import type { Profile } from '../profile.js';
import type { TokenSet } from '../token-set.js';

/** What a preset's `profile` step gets after the code exchange. */
export interface ProfileContext {
  tokens: TokenSet;
  /** Validated ID-token claims, for OpenID Connect providers. */
  idTokenClaims: Record<string, unknown> | undefined;
  /** Calls the provider's UserInfo endpoint with the access token (OIDC Core §5.3). */
  userinfo: () => Promise<Record<string, unknown>>;
  /** `fetch` with the preset's adjustments, for provider APIs. */
  fetch: typeof fetch;
}

/**
 * How to talk to one provider: where it is, which scopes and parameters it needs, its documented
 * quirks, and how to turn what it returns into a {@link Profile}.
 */
export interface ProviderPreset {
  /** Short id, used in profiles and cookie names: `google`, `github`, ... */
  id: string;
  /** OpenID Connect (discovery, ID tokens, nonce) or plain OAuth 2.0. */
  openid: boolean;
  /** Issuer to discover (OIDC presets). */
  issuer?: string;
  /** Endpoints given directly (OAuth 2.0 presets, no discovery). */
  metadata?: oauth.AuthorizationServer;
  /**
   * Microsoft Entra ID's multi-tenant endpoints publish the issuer `.../{tenantid}/v2.0`; each ID
   * token's `iss` has the user's tenant (`tid`) in its place.
   */
  issuerTemplate?: boolean;
  /** Scopes requested when the application names none. */
  defaultScopes: string[];
  /** Extra authorization request parameters the provider documents. */
  authorizationParams?: Record<string, string>;
  /** Wraps `fetch` to adapt to the provider's documented behaviour. */
  adaptFetch?: (base: typeof fetch) => typeof fetch;
  /**
   * Extra checks of the validated ID-token claims the provider documents (Google's `hd` for a
   * hosted domain). Throws to refuse the sign-in.
   */
  checkClaims?: (claims: Record<string, unknown>) => void;
  /** Builds the profile after sign-in. Default: ID-token claims, completed from UserInfo. */
  profile?: (context: ProfileContext) => Promise<Profile>;
  /**
   * Error codes besides `invalid_grant` with which the provider refuses a refresh token that no
   * longer works (the session then ends), e.g. GitHub's `bad_refresh_token`.
   */
  refreshRejectedErrors?: string[];
  /**
   * Revokes a token where the provider has its own (non-RFC 7009) API. Default: the RFC 7009
   * `revocation_endpoint` when the provider publishes one.
   */
  revoke?: (context: {
    token: string;
    tokenType: 'access_token' | 'refresh_token';
    clientId: string;
    clientSecret: string | undefined;
    fetch: typeof fetch;
  }) => Promise<void>;
}
