import { decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { randomToken } from '../../core/encoding.js';
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
}

export interface IssuedAccessToken {
  token: string;
  claims: AccessTokenClaims;
  expiresIn: number;
}

/** RFC 9068 §2.1: the `typ` header of a JWT access token. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** Artifact kind marking a revoked access token by `jti`, kept until the token would have expired. */
export const REVOKED_ACCESS_TOKEN = 'revoked_access_token';

/** Signs an RFC 9068 JWT access token with the active key of the configured algorithm. */
export async function issueAccessToken(ctx: ServerContext, input: IssueAccessTokenInput): Promise<IssuedAccessToken> {
  const { options } = ctx;
  const ttl = options.tokens.accessTokenTtl;
  const iat = Math.floor(options.clock.now() / 1000);
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
  const signer = ctx.keyRing.signingKey(options.tokens.accessTokenSigningAlg);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: signer.alg, typ: ACCESS_TOKEN_TYP, kid: signer.kid })
    .sign(signer.key);
  return { token, claims, expiresIn: ttl };
}

/**
 * Verifies a JWT access token issued by this server: signature by a published key, `typ`, `iss`,
 * and expiry (no leeway: this server's own clock decides). Returns `undefined` for anything else.
 * Revocation is checked separately ({@link isRevoked}).
 */
export async function verifyAccessToken(ctx: ServerContext, token: string): Promise<AccessTokenClaims | undefined> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return undefined;
  }
  const published = kid === undefined ? undefined : ctx.keyRing.publicKey(kid);
  if (!published) return undefined;
  try {
    const { payload } = await jwtVerify(token, published.key, {
      issuer: ctx.options.issuer,
      typ: ACCESS_TOKEN_TYP,
      algorithms: [published.alg],
      currentDate: new Date(ctx.options.clock.now()),
      requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id'],
    });
    return payload as AccessTokenClaims;
  } catch {
    return undefined;
  }
}

/** True when the access token with this `jti` was revoked. */
export async function isRevoked(ctx: ServerContext, jti: string): Promise<boolean> {
  return (await ctx.options.store.artifacts.get(REVOKED_ACCESS_TOKEN, jti)) !== undefined;
}
