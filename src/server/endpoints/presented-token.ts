import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import { authenticateClient, invalidClient } from '../client-auth.js';
import { isConsentActive } from '../consent.js';
import type { ServerContext } from '../context.js';
import { readForm } from '../http/form.js';
import { activeAccessToken, type AccessTokenClaims } from '../tokens/access-token.js';
import { REFRESH_TOKEN, refreshTokenId, type RefreshTokenState } from '../tokens/refresh-token.js';

/** An active token of this server, as found from what a client presented. */
export type ActiveToken =
  | { type: 'access_token'; clientId: string; claims: AccessTokenClaims }
  | { type: 'refresh_token'; clientId: string; familyId: string; state: RefreshTokenState; expiresAt: number };

/** A token presented to introspection or revocation, after the calling client is authenticated. */
export interface PresentedToken {
  client: ClientRecord;
  /** The token when it is active (valid, unexpired, unrevoked); `undefined` otherwise. */
  token: ActiveToken | undefined;
}

/**
 * The shared first steps of introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1): read the
 * form, authenticate the client, require `token`, and look it up among access tokens (JWTs) and
 * refresh tokens (opaque). The formats cannot be confused, so `token_type_hint` is not needed and
 * unknown values are ignored (RFC 7009 §2.1: the hint only speeds up the search).
 */
export async function readPresentedToken(ctx: ServerContext, request: Request, options: { allowPublicClients: boolean }): Promise<PresentedToken> {
  const params = await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes });
  const client = await authenticateClient(ctx, request, params);
  if (!options.allowPublicClients && client.tokenEndpointAuthMethod === 'none') {
    // RFC 7662 §2.1: introspection needs real client authentication, against token scanning.
    throw invalidClient('introspection requires a confidential client');
  }
  const token = params.get('token');
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required');
  return { client, token: await findActiveToken(ctx, token) };
}

async function findActiveToken(ctx: ServerContext, token: string): Promise<ActiveToken | undefined> {
  if (token.split('.').length === 3) {
    const claims = await activeAccessToken(ctx, token);
    return claims && { type: 'access_token', clientId: claims.client_id, claims };
  }
  const record = await ctx.store.artifacts.get<RefreshTokenState>(REFRESH_TOKEN, refreshTokenId(ctx, token));
  if (!record || record.consumedAt !== null || !(await isConsentActive(ctx, record.value.consentId, record.value.familyIssuedAt))) return undefined;
  return { type: 'refresh_token', clientId: record.value.clientId, familyId: record.ownerId!, state: record.value, expiresAt: record.expiresAt };
}

/** Introspection policy: a client may see tokens issued to itself; a resource server may see any. */
export function mayIntrospect(client: ClientRecord, token: ActiveToken): boolean {
  return token.clientId === client.clientId || client.isResourceServer;
}

/** Revocation policy (RFC 7009 §2.1): only the client the token was issued to, resource servers included. */
export function mayRevoke(client: ClientRecord, token: ActiveToken): boolean {
  return token.clientId === client.clientId;
}
