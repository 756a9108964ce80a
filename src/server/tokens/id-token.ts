import { createHash } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { signJwt } from '../keys/jwt-signer.js';
import type { ClientRecord, UserRecord } from '../../stores/contract.js';
import { userClaims } from '../claims.js';
import type { ServerContext } from '../context.js';

export interface IdTokenInput {
  client: ClientRecord;
  user: UserRecord;
  scope: readonly string[];
  authTime: number;
  amr: string[];
  acr: string;
  sid: string;
  /** Claims the request asked for by name for the ID token (OIDC Core §5.5), covered by the consent. */
  namedClaims?: readonly string[];
  nonce?: string;
  /** The access token issued alongside, for `at_hash` (OIDC Core §3.1.3.6). */
  accessToken?: string;
}

/**
 * `at_hash`: base64url of the left half of the hash of the access token, the hash matching the
 * ID token's `alg` (SHA-256 for ES256 and RS256), OIDC Core §3.1.3.6.
 */
function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** Signs an ID token (OIDC Core §2) with the client's registered algorithm (default ES256). */
export async function issueIdToken(ctx: Pick<ServerContext, 'clock' | 'config' | 'keys'>, input: IdTokenInput): Promise<string> {
  const now = Math.floor(ctx.clock.now() / 1000);
  const signer = ctx.keys.signingKey(input.client.idTokenSignedResponseAlg);
  const claims = {
    ...userClaims(input.user, input.scope, input.namedClaims),
    iss: ctx.config.issuer,
    sub: input.user.id,
    aud: input.client.clientId,
    exp: now + ctx.config.tokens.idTokenTtl,
    iat: now,
    auth_time: input.authTime,
    amr: input.amr,
    acr: input.acr,
    sid: input.sid,
    ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
    ...(input.accessToken !== undefined ? { at_hash: atHash(input.accessToken) } : {}),
  };
  return signJwt(signer, 'JWT', claims);
}

/** The claims of an ID token of this server that token exchange relies on. */
export interface VerifiedIdToken {
  sub: string;
  audience: string[];
  sid?: string;
  /** Seconds since the epoch. */
  iat: number;
  exp: number;
  /** The authentication methods of the sign-in (OIDC Core §2), empty when absent. */
  amr: string[];
}

/**
 * Verifies an ID token this server issued: signature by a published key, `iss`, and not an access
 * token (`typ` `at+jwt`), unexpired at `now` (ms). An `id_token_hint` (OIDC Core §3.1.2.1,
 * RP-Initiated Logout §2) may have expired (`now: null`: the hint identifies, it does not
 * authenticate); a subject token of a token exchange (RFC 8693 §2.1) may not. `undefined` for
 * anything else.
 */
export async function verifyIdToken(
  ctx: Pick<ServerContext, 'keys' | 'config'>,
  token: string,
  { now }: { now: number | null },
): Promise<VerifiedIdToken | undefined> {
  try {
    const header = decodeProtectedHeader(token);
    const published = header.kid === undefined ? undefined : ctx.keys.publicKey(header.kid);
    if (!published || header.typ === 'at+jwt') return undefined;
    const { payload } = await jwtVerify(token, published.key, {
      issuer: ctx.config.issuer,
      algorithms: [published.alg],
      // A hint is acceptable at any expiry; signature and issuer still must hold.
      currentDate: new Date(now ?? 0),
      requiredClaims: ['sub', 'aud', 'exp', 'iat'],
    });
    if (payload.typ !== undefined) return undefined;
    const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud!];
    const amr = Array.isArray(payload.amr) ? payload.amr.filter((method): method is string => typeof method === 'string') : [];
    return { sub: payload.sub!, audience, iat: payload.iat!, exp: payload.exp!, amr, ...(typeof payload.sid === 'string' ? { sid: payload.sid } : {}) };
  } catch {
    return undefined;
  }
}

/** {@link verifyIdToken} of an `id_token_hint`: expired tokens are accepted. */
export function verifyIdTokenHint(ctx: Pick<ServerContext, 'keys' | 'config'>, token: string): Promise<VerifiedIdToken | undefined> {
  return verifyIdToken(ctx, token, { now: null });
}
