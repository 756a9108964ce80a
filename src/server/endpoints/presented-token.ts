import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import { isConsentActive } from '../consent.js';
import type { ServerContext } from '../context.js';
import type { FormParams } from '../http/form.js';
import { activeAccessToken, type AccessTokenClaims } from '../tokens/access-token.js';
import { REFRESH_TOKEN, refreshTokenId, type RefreshTokenState } from '../tokens/refresh-token.js';

/** An active token of this server, as found from what a client presented. */
export type ActiveToken =
  | { type: 'access_token'; clientId: string; claims: AccessTokenClaims }
  | { type: 'refresh_token'; clientId: string; familyId: string; state: RefreshTokenState; expiresAt: number };

/**
 * The token presented to introspection (RFC 7662 §2.1) or revocation (RFC 7009 §2.1): `token` is
 * required, then looked up among access tokens (JWTs) and refresh tokens (opaque). The formats
 * cannot be confused, so `token_type_hint` is not needed and unknown values are ignored (RFC 7009
 * §2.1: the hint only speeds up the search). `token` is `undefined` unless the token is active
 * (valid, unexpired, unrevoked).
 */
export async function findPresentedToken({
  ctx,
  form,
}: {
  ctx: Pick<ServerContext, 'clock' | 'config' | 'keys' | 'secrets' | 'store'>;
  form: FormParams;
}): Promise<{ token: ActiveToken | undefined }> {
  const token = form.get('token');
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required');
  return { token: await findActiveToken(ctx, token) };
}

async function findActiveToken(ctx: Pick<ServerContext, 'clock' | 'config' | 'keys' | 'secrets' | 'store'>, token: string): Promise<ActiveToken | undefined> {
  if (token.split('.').length === 3) {
    const claims = await activeAccessToken(ctx, token);
    return claims && { type: 'access_token', clientId: claims.client_id, claims };
  }
  const record = await ctx.store.artifacts.get<RefreshTokenState>(REFRESH_TOKEN, refreshTokenId(ctx, token));
  if (record?.consumedAt !== null || !(await isConsentActive(ctx, record.value.consentId, record.value.familyIssuedAt))) return undefined;
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
