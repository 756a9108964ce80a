import { OAuthValidationError } from '../errors.js';
import type { ProviderPreset } from './preset.js';

/**
 * Any OpenID Connect provider, found through discovery (OpenID Connect Discovery 1.0).
 *
 * @example
 * createOAuthClient({ provider: oidc('https://id.example.com'), clientId, clientSecret, redirectUri, secret })
 */
export function oidc(issuer: string, options: { id?: string; scopes?: string[] } = {}): ProviderPreset {
  return { id: options.id ?? 'oidc', openid: true, issuer, defaultScopes: options.scopes ?? ['openid', 'profile', 'email'] };
}

/** A Gatehouse server: OpenID Connect with `offline_access` for refresh tokens. */
export function gatehouse(issuer: string, options: { scopes?: string[] } = {}): ProviderPreset {
  return { id: 'gatehouse', openid: true, issuer, defaultScopes: options.scopes ?? ['openid', 'profile', 'email', 'offline_access'] };
}

/**
 * Google (https://developers.google.com/identity/openid-connect/openid-connect). OpenID Connect
 * with discovery. Google issues a refresh token only with `access_type=offline`, and again only
 * with `prompt=consent` once the user has consented before: `offline: true` sends both.
 */
export function google(options: { offline?: boolean; hostedDomain?: string; issuer?: string } = {}): ProviderPreset {
  return {
    id: 'google',
    openid: true,
    issuer: options.issuer ?? 'https://accounts.google.com',
    defaultScopes: ['openid', 'email', 'profile'],
    authorizationParams: {
      ...(options.offline ? { access_type: 'offline', prompt: 'consent' } : {}),
      ...(options.hostedDomain ? { hd: options.hostedDomain } : {}),
    },
    // `hd` in the request only pre-selects accounts; Google says to check the ID token's `hd` claim.
    ...(options.hostedDomain
      ? {
          checkClaims(claims: Record<string, unknown>) {
            if (claims.hd !== options.hostedDomain) {
              throw new OAuthValidationError('id_token_invalid', `the Google account is not in the ${options.hostedDomain} domain`);
            }
          },
        }
      : {}),
  };
}

/**
 * Microsoft Entra ID (v2.0 endpoints). `tenant` is a tenant id or domain, or `common`,
 * `organizations` or `consumers` for multi-tenant apps, whose ID tokens carry the user's own tenant
 * in `iss` (checked against the published `{tenantid}` template).
 */
export function microsoft(options: { tenant?: string; authority?: string } = {}): ProviderPreset {
  const tenant = options.tenant ?? 'common';
  const authority = options.authority ?? 'https://login.microsoftonline.com';
  return {
    id: 'microsoft',
    openid: true,
    issuer: `${authority}/${tenant}/v2.0`,
    issuerTemplate: ['common', 'organizations', 'consumers'].includes(tenant),
    defaultScopes: ['openid', 'profile', 'email', 'offline_access'],
  };
}

/** GitLab, gitlab.com or self-managed (`baseUrl`): OpenID Connect with discovery. */
export function gitlab(options: { baseUrl?: string } = {}): ProviderPreset {
  return { id: 'gitlab', openid: true, issuer: options.baseUrl ?? 'https://gitlab.com', defaultScopes: ['openid', 'profile', 'email'] };
}
