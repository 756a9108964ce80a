import { OAuthError, type OAuthErrorCode } from '../../core/errors.js';
import type { Json } from '../../stores/contract.js';

export type ResponseMode = 'query' | 'form_post';
/** OIDC Core §3.1.2.1's values, and `create` (OpenID Connect Prompt Create 1.0: start with sign-up). */
export type Prompt = 'none' | 'login' | 'consent' | 'select_account' | 'create';

/** A validated authorization request (OIDC Core §3.1.2.1, RFC 6749 §4.1.1, RFC 7636 §4.3). */
export interface AuthorizationRequest {
  [key: string]: Json | undefined;
  clientId: string;
  redirectUri: string;
  /** Whether `redirect_uri` was sent (then the token request must repeat it, RFC 6749 §4.1.3). */
  redirectUriGiven: boolean;
  responseMode: ResponseMode;
  scope: string[];
  state?: string;
  nonce?: string;
  /** The S256 PKCE challenge; absent only under the OAuth 2.1 §7.5.2 exception (`checkPkce`). */
  codeChallenge?: string;
  prompt: Prompt[];
  maxAge?: number;
  loginHint?: string;
  /** `sub` of a valid `id_token_hint`. */
  hintedSub?: string;
  acrValues: string[];
  /**
   * The values of an `acr` claim requested as essential in the `claims` parameter (OIDC Core
   * §5.5.1.1); `[]` for essential without values; absent when not requested as essential.
   */
  essentialAcr?: string[];
  /**
   * The user claims the `claims` parameter asked for by name (OIDC Core §5.5), in an OpenID
   * request; absent when none. Released once the consent covers them (`consentCovers`).
   */
  requestedClaims?: RequestedClaims;
  uiLocales: string[];
  /**
   * The RFC 8707 `resource` values, checked (`checkResources`): the grant is for these, and its
   * tokens' audience within them (§2.2). Absent or empty: none named.
   */
  resources?: string[];
  /**
   * Set for a device's request (RFC 8628): the interaction ends by recording the user's decision on
   * this device authorization, which the device polls for, instead of sending a code to
   * `redirectUri` (then the device page itself). `userCode` as shown (`XXXX-XXXX`), for the
   * consent page to ask the user to compare with the device's (§5.4).
   */
  device?: { id: string; userCodeId: string; userCode: string };
  /** RFC 9449 §10 `dpop_jkt`: the code is redeemed only with a DPoP proof of this key. */
  dpopJkt?: string;
}

/** Claims asked for one by one (OIDC Core §5.5): for the ID token, and from UserInfo. */
export interface RequestedClaims {
  [key: string]: string[];
  idToken: string[];
  userinfo: string[];
}

/** Every claim `request` asks for by name (OIDC Core §5.5), for the ID token or UserInfo: what its consent must cover. */
export function claimsNamedBy(request: Pick<AuthorizationRequest, 'requestedClaims'>): string[] {
  const named = request.requestedClaims;
  return named ? [...new Set([...named.idToken, ...named.userinfo])] : [];
}

/**
 * Where an error about an authorization request goes. Until the client and its redirect URI are
 * validated, errors are shown on a page and never redirected (RFC 6749 §4.1.2.1; no open redirect).
 */
export class AuthorizationError extends OAuthError {
  /** Set once the redirect URI is trusted: the error is then redirected to the client. */
  readonly target: { redirectUri: string; responseMode: ResponseMode; state: string | undefined } | undefined;
  constructor(error: OAuthErrorCode, description: string, target?: AuthorizationError['target']) {
    super(error, description);
    this.target = target;
  }
}

/** Where a validated request's errors go: its redirect URI, response mode and `state`. */
export type AuthorizationTarget = NonNullable<AuthorizationError['target']>;

/** Refuses the request with an error redirected to the client (RFC 6749 §4.1.2.1). */
export function refuse(target: AuthorizationTarget, error: OAuthErrorCode, description: string): never {
  throw new AuthorizationError(error, description, target);
}
