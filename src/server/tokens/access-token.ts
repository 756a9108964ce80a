import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
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
  /** The acting party of a token from a delegation exchange (RFC 8693 §4.1), prior actors nested. */
  act?: ActorClaim;
  /** RFC 9449 §6.1: the DPoP key the token is bound to (its JWK SHA-256 thumbprint). */
  cnf?: { jkt: string };
}

/** RFC 8693 §4.1: the `act` (actor) claim, its outermost member the current actor. */
export interface ActorClaim {
  [claim: string]: unknown;
  sub: string;
  act?: ActorClaim;
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
  /** The acting party (RFC 8693 §4.1), for a token issued by token exchange. */
  act?: ActorClaim | undefined;
  /**
   * Latest expiry, in seconds since the epoch: a token issued by exchange never outlives the tokens
   * it was exchanged for. The configured lifetime applies when it ends sooner.
   */
  notAfter?: number | undefined;
  /** Claims asked for by name for UserInfo (OIDC Core §5.5 `claims`), kept in the token's record (never in the token). */
  userinfoClaims?: readonly string[] | undefined;
  /** The DPoP key to bind the token to (RFC 9449 §6.1 `cnf.jkt`); `undefined`: a bearer token. */
  jkt?: string | undefined;
}

/** What the store keeps per access token (by `jti`) until it expires. */
export interface AccessTokenRecord {
  [key: string]: string | number | null | undefined;
  clientId: string;
  consentId: string | null;
  familyIssuedAt?: number;
  /**
   * Keyed hash of the whole token (purpose {@link ACCESS_TOKEN_PURPOSE}): a presented token whose
   * hash matches is byte for byte the one this server signed, so introspection and UserInfo need
   * no signature verification. Absent in records written before it existed (verified by signature).
   */
  tokenHash?: string;
  /** Claims UserInfo releases by name beyond the scopes (OIDC Core §5.5 `claims`), space-separated; absent when none. */
  userinfoClaims?: string;
}

export interface IssuedAccessToken {
  token: string;
  claims: AccessTokenClaims;
  expiresIn: number;
  /** `token_type` of the token response: `DPoP` for a bound token (RFC 9449 §5), else `Bearer`. */
  tokenType: 'Bearer' | 'DPoP';
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

/** Purpose label of the keyed hash of each issued access token (see {@link AccessTokenRecord.tokenHash}). */
const ACCESS_TOKEN_PURPOSE = 'access-token';

/** Signs an RFC 9068 JWT access token with the active key of the configured algorithm. */
export async function issueAccessToken(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'keys' | 'secrets' | 'store'>,
  input: IssueAccessTokenInput,
): Promise<IssuedAccessToken> {
  const { config: options } = ctx;
  const ttl = options.tokens.accessTokenTtl;
  const iat = Math.floor(ctx.clock.now() / 1000);
  const exp = input.notAfter === undefined ? iat + ttl : Math.min(iat + ttl, input.notAfter);
  const claims: AccessTokenClaims = {
    iss: options.issuer,
    sub: input.subject,
    aud: input.audience.length === 1 ? input.audience[0]! : input.audience,
    exp,
    iat,
    jti: randomToken(16),
    client_id: input.clientId,
    ...(input.scope.length > 0 ? { scope: input.scope.join(' ') } : {}),
    ...(input.act !== undefined ? { act: input.act } : {}),
    ...(input.jkt !== undefined ? { cnf: { jkt: input.jkt } } : {}),
  };
  const signer = ctx.keys.signingKey(options.tokens.accessTokenSigningAlg);
  const token = await signJwt(signer, ACCESS_TOKEN_TYP, claims);
  await ctx.store.artifacts.put({
    kind: ACCESS_TOKEN_RECORD,
    id: claims.jti,
    value: {
      clientId: input.clientId,
      consentId: input.consentId,
      ...(input.familyIssuedAt !== undefined ? { familyIssuedAt: input.familyIssuedAt } : {}),
      tokenHash: ctx.secrets.hash(token, ACCESS_TOKEN_PURPOSE),
      ...(input.userinfoClaims && input.userinfoClaims.length > 0 ? { userinfoClaims: input.userinfoClaims.join(' ') } : {}),
    } satisfies AccessTokenRecord,
    ownerId: input.familyId,
    expiresAt: claims.exp * 1000,
  });
  return { token, claims, expiresIn: exp - iat, tokenType: input.jkt === undefined ? 'Bearer' : 'DPoP' };
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

/**
 * The claims of a valid, unexpired, unrevoked access token of this server, else `undefined`.
 *
 * The record kept per `jti` holds a keyed hash of the token as issued: when the presented token's
 * hash matches it (constant-time), the token is exactly one this server signed, so its claims are
 * read without verifying the signature again — a lookup and an HMAC instead of an ES256
 * verification. A forged token naming a real `jti` fails the comparison. The checks that do not
 * depend on the signature still run: the issuer, the signing key is still published (a key withdrawn from the
 * key set takes its tokens with it), expiry by this server's clock, the record (revocation) and the
 * consent. Records without a hash (issued before it was kept) are verified by signature.
 */
export async function activeAccessToken(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'keys' | 'secrets' | 'store'>,
  token: string,
): Promise<AccessTokenClaims | undefined> {
  return (await findActiveAccessToken(ctx, token))?.claims;
}

/** An active access token: its claims, and the grant it rests on (from its record). */
export interface ActiveAccessToken {
  claims: AccessTokenClaims;
  /** Its token family (revoking the family revokes it); `null` for client credentials. */
  familyId: string | null;
  /** The consent it rests on; `null` for client credentials. */
  consentId: string | null;
  familyIssuedAt: number | undefined;
  /** Claims UserInfo releases by name beyond the token's scopes (OIDC Core §5.5 `claims`). */
  userinfoClaims: string[];
}

/**
 * {@link activeAccessToken}, with the grant the token rests on: what token exchange carries over to
 * the token it issues, so that revoking the one revokes the other (RFC 8693 §2.1).
 */
export async function findActiveAccessToken(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'keys' | 'secrets' | 'store'>,
  token: string,
): Promise<ActiveAccessToken | undefined> {
  const unverified = readUnverified(token);
  if (!unverified || !ctx.keys.publicKey(unverified.kid)) return undefined;
  const record = await ctx.store.artifacts.get<AccessTokenRecord>(ACCESS_TOKEN_RECORD, unverified.claims.jti);
  if (!record) return undefined;
  const { consentId, familyIssuedAt, tokenHash, userinfoClaims } = record.value;
  let claims: AccessTokenClaims | undefined;
  if (tokenHash === undefined) {
    claims = await verifyAccessToken(ctx, token);
  } else if (ctx.secrets.verifyHash(token, ACCESS_TOKEN_PURPOSE, tokenHash)) {
    // The same bytes this server signed: its claims need no second look, but time has passed.
    const { iss, exp } = unverified.claims;
    claims = iss === ctx.config.issuer && exp > Math.floor(ctx.clock.now() / 1000) ? unverified.claims : undefined;
  }
  if (claims?.jti !== record.id) return undefined;
  if (consentId !== null && !(await isConsentActive(ctx, consentId, familyIssuedAt))) return undefined;
  return { claims, familyId: record.ownerId, consentId, familyIssuedAt, userinfoClaims: userinfoClaims?.split(' ') ?? [] };
}

/**
 * The `kid` and claims of a compact JWS, decoded (by `jose`) but not verified; `undefined` unless it
 * has the shape of this server's access tokens (a `kid`, a string `jti`, a numeric `exp`).
 */
function readUnverified(token: string): { kid: string; claims: AccessTokenClaims } | undefined {
  try {
    const { kid } = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    if (typeof kid !== 'string' || typeof claims.jti !== 'string' || typeof claims.exp !== 'number') return undefined;
    return { kid, claims: claims as AccessTokenClaims };
  } catch {
    return undefined;
  }
}

/** Revokes one access token; true when it was active. */
export function revokeAccessToken(ctx: Pick<ServerContext, 'store'>, claims: AccessTokenClaims): Promise<boolean> {
  return ctx.store.artifacts.delete(ACCESS_TOKEN_RECORD, claims.jti);
}
