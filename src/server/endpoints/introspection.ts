import type { ServerContext } from '../context.js';
import { json, NO_STORE } from '../http/responses.js';
import { mayIntrospect, readPresentedToken } from './presented-token.js';

/**
 * Token introspection (RFC 7662). An invalid, expired, revoked or foreign token is simply
 * `{"active": false}` (§2.2), so the response never tells which.
 */
export async function introspectionEndpoint(ctx: ServerContext, request: Request): Promise<Response> {
  const { client, claims } = await readPresentedToken(ctx, request, { allowPublicClients: false });
  if (!claims || !mayIntrospect(client, claims)) {
    return json({ active: false }, 200, NO_STORE);
  }
  return json(
    {
      active: true,
      token_type: 'Bearer',
      scope: claims.scope,
      client_id: claims.client_id,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
    },
    200,
    NO_STORE,
  );
}
