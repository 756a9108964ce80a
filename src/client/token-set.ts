import type { TokenEndpointResponse } from 'oauth4webapi';

/** Tokens of a signed-in user, as kept in a session. */
export interface TokenSet {
  accessToken: string;
  tokenType: string;
  /** Milliseconds since the epoch; `undefined` when the provider did not say. */
  expiresAt: number | undefined;
  refreshToken: string | undefined;
  /** Milliseconds since the epoch (GitHub's `refresh_token_expires_in`). */
  refreshTokenExpiresAt: number | undefined;
  idToken: string | undefined;
  scope: string | undefined;
}

/**
 * A token set from a token response. A refresh response without a refresh token keeps the previous
 * one (RFC 6749 §6: a new one is optional), and without an ID token keeps the previous one.
 */
export function tokenSetFrom(response: TokenEndpointResponse, now: number, previous?: TokenSet): TokenSet {
  const refreshExpiresIn = (response as Record<string, unknown>).refresh_token_expires_in;
  return {
    accessToken: response.access_token,
    tokenType: response.token_type,
    expiresAt: typeof response.expires_in === 'number' ? now + response.expires_in * 1000 : undefined,
    refreshToken: response.refresh_token ?? previous?.refreshToken,
    refreshTokenExpiresAt:
      typeof refreshExpiresIn === 'number' ? now + refreshExpiresIn * 1000 : response.refresh_token ? undefined : previous?.refreshTokenExpiresAt,
    idToken: response.id_token ?? previous?.idToken,
    scope: response.scope ?? previous?.scope,
  };
}
