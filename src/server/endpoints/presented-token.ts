import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import { authenticateClient, invalidClient } from '../client-auth.js';
import type { ServerContext } from '../context.js';
import { readForm } from '../http/form.js';
import { activeAccessToken, type AccessTokenClaims } from '../tokens/access-token.js';

/** A token presented to introspection or revocation, after the calling client is authenticated. */
export interface PresentedToken {
  client: ClientRecord;
  /** The token's claims when it is an active (valid, unexpired, unrevoked) token of this server. */
  claims: AccessTokenClaims | undefined;
}

/**
 * The shared first steps of introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1): read the
 * form, authenticate the client, require `token`, and look the token up. `token_type_hint` is
 * optional and only a hint (RFC 7009 §2.1), so unknown values are ignored.
 */
export async function readPresentedToken(ctx: ServerContext, request: Request, options: { allowPublicClients: boolean }): Promise<PresentedToken> {
  const params = await readForm(request, { maxBodyBytes: ctx.options.limits.maxBodyBytes });
  const client = await authenticateClient(request, params, ctx.options.store, ctx.secretKeys);
  if (!options.allowPublicClients && client.tokenEndpointAuthMethod === 'none') {
    // RFC 7662 §2.1: introspection needs real client authentication, against token scanning.
    throw invalidClient('introspection requires a confidential client');
  }
  const token = params.get('token');
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required');
  return { client, claims: await activeAccessToken(ctx, token) };
}

/** Introspection policy: a client may see tokens issued to itself; a resource server may see any. */
export function mayIntrospect(client: ClientRecord, claims: AccessTokenClaims): boolean {
  return claims.client_id === client.clientId || client.isResourceServer;
}

/** Revocation policy (RFC 7009 §2.1): only the client the token was issued to, resource servers included. */
export function mayRevoke(client: ClientRecord, claims: AccessTokenClaims): boolean {
  return claims.client_id === client.clientId;
}
