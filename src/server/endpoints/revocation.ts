import { OAuthError } from '../../core/errors.js';
import { StoreConflictError } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { NO_STORE } from '../http/responses.js';
import { REVOKED_ACCESS_TOKEN } from '../tokens/access-token.js';
import { activeClaims, mayAccess, readPresentedToken } from './presented-token.js';

/**
 * Token revocation (RFC 7009). Unknown, invalid or already revoked tokens answer 200 (§2.2), so
 * a client cannot probe for tokens. A valid token of another client is refused (§2.1).
 * The revocation is kept until the token would have expired, so it survives restarts.
 */
export async function revocationEndpoint(ctx: ServerContext, request: Request): Promise<Response> {
  const presented = await readPresentedToken(ctx, request);
  const { client } = presented;
  const claims = await activeClaims(ctx, presented.claims);
  if (claims) {
    if (!mayAccess(client, claims)) {
      throw new OAuthError('unauthorized_client', 'the token was not issued to this client');
    }
    try {
      await ctx.options.store.artifacts.put({
        kind: REVOKED_ACCESS_TOKEN,
        id: claims.jti,
        value: { clientId: client.clientId, revokedAt: ctx.options.clock.now() },
        grantId: null,
        expiresAt: claims.exp * 1000,
      });
    } catch (error) {
      // Revoked concurrently by another request: the outcome is the same.
      if (!(error instanceof StoreConflictError)) throw error;
    }
    ctx.logger.info({ event: 'token.revoked', client_id: client.clientId, jti: claims.jti }, 'access token revoked');
  }
  return new Response(null, { status: 200, headers: NO_STORE });
}
