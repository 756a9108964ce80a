import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { signJwt } from '../keys/jwt-signer.js';
import { randomToken } from '../../core/encoding.js';
import { isConsentActive } from '../consent.js';
import type { ServerContext } from '../context.js';

/** Claims of a JWT access token (RFC 9068 §2.2). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope?: string;
}

export interface IssueAccessTokenInput {
  subject: string;
  clientId: string;
  scope: string[];
  audience: string[];
  /** The token family it belongs to (revoking the family revokes it); `null` for client credentials. */
  familyId: string | null;
  /** The user's consent it rests on (revoking the consent revokes it); `null` for client credentials. */
  consentId: string | null;
  /**
   * When its token family began, in milliseconds (see `AuthorizationCodeState.familyIssuedAt`), for
   * the consent's tokens-not-before check; `undefined` when unknown (counted as 0) or for client credentials.
   */
  familyIssuedAt?: number | undefined;
}

/** What the store keeps per access token (by `jti`) until it expires. */
export interface AccessTokenRecord {
  [key: string]: string | number | null | undefined;
  clientId: string;
  consentId: string | null;
  familyIssuedAt?: number;
}

export interface IssuedAccessToken {
  token: string;
  claims: AccessTokenClaims;
  expiresIn: number;
}

/** RFC 9068 §2.1: the `typ` header of a JWT access token. */
const ACCESS_TOKEN_TYP = 'at+jwt';

/**
 * Artifact kind recording each issued access token by `jti` until it expires. A token is active only
 * while its record exists (revoking it, or its family, deletes the record) and the consent it rests
 * on stands. This is what makes revocation visible to introspection for self-contained JWTs, and
 * survive restarts.
 */
export const ACCESS_TOKEN_RECORD = 'access_token';

/** Signs an RFC 9068 JWT access token with the active key of the configured algorithm. */
export async function issueAccessToken(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'keys' | 'store'>,
  input: IssueAccessTokenInput,
): Promise<IssuedAccessToken> {
  const { config: options } = ctx;
  const ttl = options.tokens.accessTokenTtl;
  const iat = Math.floor(ctx.clock.now() / 1000);
  const claims: AccessTokenClaims = {
    iss: options.issuer,
    sub: input.subject,
    aud: input.audience.length === 1 ? input.audience[0]! : input.audience,
    exp: iat + ttl,
    iat,
    jti: randomToken(16),
    client_id: input.clientId,
    ...(input.scope.length > 0 ? { scope: input.scope.join(' ') } : {}),
  };
  const signer = ctx.keys.signingKey(options.tokens.accessTokenSigningAlg);
  const token = signJwt(signer, ACCESS_TOKEN_TYP, claims);
  await ctx.store.artifacts.put({
    kind: ACCESS_TOKEN_RECORD,
    id: claims.jti,
    value: {
      clientId: input.clientId,
      consentId: input.consentId,
      ...(input.familyIssuedAt !== undefined ? { familyIssuedAt: input.familyIssuedAt } : {}),
    } satisfies AccessTokenRecord,
    ownerId: input.familyId,
    expiresAt: claims.exp * 1000,
  });
  return { token, claims, expiresIn: ttl };
}

/**
 * Verifies a JWT access token issued by this server: signature by a published key, `typ`, `iss`,
 * and expiry (no leeway: this server's own clock decides). Returns `undefined` for anything else.
 * Revocation is checked separately ({@link activeAccessToken}).
 */
async function verifyAccessToken(ctx: Pick<ServerContext, 'clock' | 'config' | 'keys'>, token: string): Promise<AccessTokenClaims | undefined> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return undefined;
  }
  const published = kid === undefined ? undefined : ctx.keys.publicKey(kid);
  if (!published) return undefined;
  try {
    const { payload } = await jwtVerify(token, published.key, {
      issuer: ctx.config.issuer,
      typ: ACCESS_TOKEN_TYP,
      algorithms: [published.alg],
      currentDate: new Date(ctx.clock.now()),
      requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id'],
    });
    return payload as AccessTokenClaims;
  } catch {
    return undefined;
  }
}

/** The claims of a valid, unexpired, unrevoked access token of this server, else `undefined`. */
export async function activeAccessToken(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'keys' | 'store'>,
  token: string,
): Promise<AccessTokenClaims | undefined> {
  const claims = await verifyAccessToken(ctx, token);
  if (!claims) return undefined;
  const record = await ctx.store.artifacts.get<AccessTokenRecord>(ACCESS_TOKEN_RECORD, claims.jti);
  if (!record) return undefined;
  const { consentId, familyIssuedAt } = record.value;
  if (consentId !== null && !(await isConsentActive(ctx, consentId, familyIssuedAt))) return undefined;
  return claims;
}

/** Revokes one access token; true when it was active. */
export function revokeAccessToken(ctx: Pick<ServerContext, 'store'>, claims: AccessTokenClaims): Promise<boolean> {
  return ctx.store.artifacts.delete(ACCESS_TOKEN_RECORD, claims.jti);
}
