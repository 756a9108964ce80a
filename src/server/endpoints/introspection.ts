import type { ServerContext } from '../context.js';
import { json, NO_STORE } from '../http/responses.js';
import { mayIntrospect, readPresentedToken, type ActiveToken } from './presented-token.js';

/**
 * Token introspection (RFC 7662), for access and refresh tokens. An invalid, expired, revoked or
 * foreign token is simply `{"active": false}` (§2.2), so the response never tells which.
 */
export async function introspectionEndpoint(ctx: ServerContext, request: Request): Promise<Response> {
  const { client, token } = await readPresentedToken(ctx, request, { allowPublicClients: false });
  if (!token || !mayIntrospect(client, token)) return json({ active: false }, 200, NO_STORE);
  return json({ active: true, ...describe(ctx, token) }, 200, NO_STORE);
}

/** RFC 7662 §2.2 members for an active token. */
function describe(ctx: ServerContext, token: ActiveToken): Record<string, unknown> {
  if (token.type === 'access_token') {
    const { claims } = token;
    return {
      token_type: 'Bearer',
      scope: claims.scope,
      client_id: claims.client_id,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
    };
  }
  return {
    token_type: 'refresh_token',
    scope: token.state.scope.join(' '),
    client_id: token.clientId,
    sub: token.state.sub,
    iss: ctx.config.issuer,
    exp: Math.floor(token.expiresAt / 1000),
  };
}
