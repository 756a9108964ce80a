import { OAuthError } from '../../core/errors.js';
import { auditEvent } from '../audit/events.js';
import type { ServerContext } from '../context.js';
import { NO_STORE } from '../http/responses.js';
import { revokeAccessToken } from '../tokens/access-token.js';
import { revokeFamily } from '../tokens/token-family.js';
import { mayRevoke, readPresentedToken } from './presented-token.js';

/**
 * Token revocation (RFC 7009), for access and refresh tokens. Unknown, invalid or already revoked
 * tokens answer 200 (§2.2), so a client cannot probe for tokens. A valid token of another client is
 * refused (§2.1), even for a resource server. Public clients may revoke their own tokens (§2.1
 * authenticates confidential ones). Revoking a refresh token also revokes the access tokens of the
 * same authorization (§2.1 SHOULD): its whole token family.
 */
export async function revocationEndpoint(ctx: ServerContext, request: Request): Promise<Response> {
  const { client, token } = await readPresentedToken(ctx, request, { allowPublicClients: true });
  if (token) {
    if (!mayRevoke(client, token)) throw new OAuthError('unauthorized_client', 'the token was not issued to this client');
    if (token.type === 'refresh_token') {
      await revokeFamily(ctx, token.familyId, 'revoked', client.clientId);
    } else if (await revokeAccessToken(ctx, token.claims)) {
      await ctx.audit.record(auditEvent('token.revoked', { client_id: client.clientId, jti: token.claims.jti }));
    }
  }
  return new Response(null, { status: 200, headers: NO_STORE });
}
