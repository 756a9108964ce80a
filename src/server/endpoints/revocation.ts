import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import { auditEvent } from '../audit/events.js';
import type { ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { pipeline } from '../http/pipeline.js';
import { NO_STORE } from '../http/responses.js';
import { revokeAccessToken } from '../tokens/access-token.js';
import { revokeFamily } from '../tokens/token-family.js';
import { authenticateCaller } from '../steps/authenticate-client.js';
import { readFormBody } from '../steps/read-form.js';
import { findPresentedToken, mayRevoke, type ActiveToken } from './presented-token.js';

/** RFC 7009 §2.1: a valid token of another client is refused, even for a resource server. */
function checkTokenOwner({ client, token }: { client: ClientRecord; token: ActiveToken | undefined }): undefined {
  if (token && !mayRevoke(client, token)) throw new OAuthError('unauthorized_client', 'the token was not issued to this client');
}

/**
 * Revokes the token: a refresh token with its whole token family (RFC 7009 §2.1 SHOULD: the access
 * tokens of the same authorization too), an access token alone. Unknown, invalid or already
 * revoked tokens answer 200 as well (§2.2), so a client cannot probe for tokens.
 */
async function revoke({
  ctx,
  client,
  token,
}: {
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'store'>;
  client: ClientRecord;
  token: ActiveToken | undefined;
}): Promise<Response> {
  if (token?.type === 'refresh_token') {
    await revokeFamily(ctx, token.familyId, 'revoked', client.clientId);
  } else if (token && (await revokeAccessToken(ctx, token.claims))) {
    await ctx.audit.record(auditEvent('token.revoked', { client_id: client.clientId, jti: token.claims.jti }));
  }
  return new Response(null, { status: 200, headers: NO_STORE });
}

/**
 * Token revocation (RFC 7009), for access and refresh tokens. Public clients may revoke their own
 * tokens (§2.1 authenticates confidential ones).
 */
export const revocationEndpoint = endpoint(
  pipeline<EndpointInput>('revocation').step(readFormBody).step(authenticateCaller).step(findPresentedToken).step(checkTokenOwner).respond(revoke),
);
