import { profileFromClaims } from '../profile.js';
import type { ProviderPreset } from './preset.js';

export interface OAuth2ProviderOptions {
  id?: string;
  /** Used as the expected `iss` of RFC 9207 authorization responses, when the provider sends one. */
  issuer?: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint?: string;
  revocationEndpoint?: string;
  scopes?: string[];
}

/**
 * A plain OAuth 2.0 provider with endpoints given directly (no discovery, no ID token). The
 * profile comes from `userinfoEndpoint`, read as OpenID-style claims (`sub` or `id`, `email`, `name`).
 */
export function oauth2(options: OAuth2ProviderOptions): ProviderPreset {
  const id = options.id ?? 'oauth2';
  return {
    id,
    openid: false,
    metadata: {
      issuer: options.issuer ?? new URL(options.authorizationEndpoint).origin,
      authorization_endpoint: options.authorizationEndpoint,
      token_endpoint: options.tokenEndpoint,
      ...(options.userinfoEndpoint ? { userinfo_endpoint: options.userinfoEndpoint } : {}),
      ...(options.revocationEndpoint ? { revocation_endpoint: options.revocationEndpoint } : {}),
    },
    defaultScopes: options.scopes ?? [],
    async profile({ userinfo }) {
      const claims = await userinfo();
      return profileFromClaims(id, { ...claims, sub: claims.sub ?? claims.id });
    },
  };
}
