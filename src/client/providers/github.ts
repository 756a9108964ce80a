import type { Profile } from '../profile.js';
import type { ProviderPreset } from './preset.js';

export interface GitHubOptions {
  /** `https://github.com` (default) or a GitHub Enterprise Server URL. */
  baseUrl?: string;
  /** REST API root: `https://api.github.com` for github.com, `{baseUrl}/api/v3` for Enterprise Server. */
  apiUrl?: string;
}

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * GitHub (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps).
 * Not OpenID Connect: no ID token, no discovery. Documented behaviour this preset encodes:
 * - the token endpoint answers JSON only with `Accept: application/json`, and reports errors with
 *   HTTP 200 and an `error` member;
 * - `/user` may have no public email: the primary verified address comes from `/user/emails`
 *   (scope `user:email`);
 * - GitHub Apps may issue expiring user tokens (`expires_in`, `refresh_token`,
 *   `refresh_token_expires_in`), refreshed at the same token endpoint;
 * - tokens are revoked with `DELETE /applications/{client_id}/token`, not RFC 7009.
 */
export function github(options: GitHubOptions = {}): ProviderPreset {
  const baseUrl = (options.baseUrl ?? 'https://github.com').replace(/\/$/, '');
  const apiUrl = (options.apiUrl ?? (baseUrl === 'https://github.com' ? 'https://api.github.com' : `${baseUrl}/api/v3`)).replace(/\/$/, '');
  const tokenEndpoint = `${baseUrl}/login/oauth/access_token`;
  const api = async (fetcher: typeof fetch, path: string, accessToken: string): Promise<unknown> => {
    const response = await fetcher(`${apiUrl}${path}`, {
      headers: { Accept: 'application/vnd.github+json', Authorization: `Bearer ${accessToken}`, 'X-GitHub-Api-Version': '2022-11-28' },
    });
    if (!response.ok) throw new Error(`GitHub API ${path} answered ${response.status}`);
    return response.json();
  };
  return {
    id: 'github',
    openid: false,
    metadata: { issuer: baseUrl, authorization_endpoint: `${baseUrl}/login/oauth/authorize`, token_endpoint: tokenEndpoint },
    defaultScopes: ['read:user', 'user:email'],
    // GitHub answers a used, expired or revoked refresh token with bad_refresh_token.
    refreshRejectedErrors: ['bad_refresh_token'],
    adaptFetch: (base) => async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (!url.startsWith(tokenEndpoint)) return base(input, init);
      const headers = new Headers(init?.headers);
      headers.set('Accept', 'application/json');
      const response = await base(input, { ...init, headers });
      if (response.status !== 200) return response;
      const body = (await response
        .clone()
        .json()
        .catch(() => undefined)) as Record<string, unknown> | undefined;
      // GitHub reports OAuth errors with 200; make them the 400 that RFC 6749 §5.2 describes.
      if (body && typeof body.error === 'string') {
        return new Response(JSON.stringify(body), { status: 400, headers: { 'Content-Type': 'application/json' } });
      }
      return response;
    },
    async profile({ tokens, fetch: fetcher }): Promise<Profile> {
      const user = (await api(fetcher, '/user', tokens.accessToken)) as Record<string, unknown>;
      let emails: GitHubEmail[] = [];
      try {
        emails = (await api(fetcher, '/user/emails', tokens.accessToken)) as GitHubEmail[];
      } catch {
        // Without the user:email scope the list is refused; fall back to the public email, unverified.
      }
      const primary = emails.find((entry) => entry.primary && entry.verified);
      const publicEmail = typeof user.email === 'string' ? user.email : undefined;
      return {
        provider: 'github',
        sub: String(user.id),
        email: primary?.email ?? publicEmail,
        emailVerified: primary !== undefined || emails.some((entry) => entry.verified && entry.email === publicEmail),
        name: (typeof user.name === 'string' && user.name) || (typeof user.login === 'string' ? user.login : undefined),
        picture: typeof user.avatar_url === 'string' ? user.avatar_url : undefined,
        raw: { ...user, emails },
      };
    },
    async revoke({ token, tokenType, clientId, clientSecret, fetch: fetcher }) {
      // The token API revokes access tokens; refresh tokens die with the authorization.
      if (!clientSecret || tokenType !== 'access_token') return;
      const response = await fetcher(`${apiUrl}/applications/${encodeURIComponent(clientId)}/token`, {
        method: 'DELETE',
        headers: {
          Accept: 'application/vnd.github+json',
          Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ access_token: token }),
      });
      if (!response.ok && response.status !== 404) throw new Error(`GitHub token revocation answered ${response.status}`);
    },
  };
}
