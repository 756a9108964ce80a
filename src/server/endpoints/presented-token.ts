import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import { authenticateClient } from '../client-auth.js';
import type { ServerContext } from '../context.js';
import { readForm } from '../http/form.js';
import { isRevoked, verifyAccessToken, type AccessTokenClaims } from '../tokens/access-token.js';

/** A token presented to introspection or revocation, after the calling client is authenticated. */
export interface PresentedToken {
  client: ClientRecord;
  /** The token's claims when it is a valid, unexpired token of this server; revocation is not yet considered. */
  claims: AccessTokenClaims | undefined;
}

/**
 * The shared first steps of introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1): read the
 * form, authenticate the client, require `token`, and look the token up. `token_type_hint` is
 * optional and only a hint (RFC 7009 §2.1), so unknown values are ignored.
 */
export async function readPresentedToken(ctx: ServerContext, request: Request): Promise<PresentedToken> {
  const params = await readForm(request, { maxBodyBytes: ctx.options.limits.maxBodyBytes });
  const client = await authenticateClient(request, params, ctx.options.store, ctx.secretKeys);
  const token = params.get('token');
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required');
  return { client, claims: await verifyAccessToken(ctx, token) };
}

/** Policy: a client may see and revoke tokens issued to itself; a resource server may see any. */
export function mayAccess(client: ClientRecord, claims: AccessTokenClaims): boolean {
  return claims.client_id === client.clientId || client.isResourceServer;
}

/** The claims of a still-active token (valid, unexpired, not revoked), else `undefined`. */
export async function activeClaims(ctx: ServerContext, claims: AccessTokenClaims | undefined): Promise<AccessTokenClaims | undefined> {
  return claims !== undefined && !(await isRevoked(ctx, claims.jti)) ? claims : undefined;
}
