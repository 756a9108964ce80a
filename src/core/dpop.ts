/**
 * DPoP proofs (RFC 9449), verified in one place for the authorization server (token endpoint,
 * UserInfo) and the resource guard (`gatehouse/resource`). What differs between them comes in as
 * options: the URL and method the proof must name, the access token it must hash (`ath`), where
 * spent `jti`s are kept, and whether a server nonce is required.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, errors as joseErrors, jwtVerify } from 'jose';
import { assertErrorDescription } from './errors.js';

/**
 * The proof algorithms accepted (and advertised as `dpop_signing_alg_values_supported`, RFC 9449
 * §5.1): asymmetric only (§4.3 point 5), the ones issue 20 names.
 */
export const DPOP_ALGORITHMS: readonly string[] = ['ES256', 'EdDSA', 'RS256', 'PS256'];

/** Seconds a proof's `iat` may lie in the past (§4.3 point 11; §11.1 recommends a short window). */
export const DPOP_DEFAULT_MAX_AGE = 60;
/** Seconds of clock difference allowed both ways around the window (a proof's `iat` in the future included). */
const DPOP_CLOCK_LEEWAY = 5;
/** Longest `jti` accepted: it is kept (hashed) for the window, so its size is bounded. */
const MAX_JTI_LENGTH = 256;

/** The RFC 9449 §7.1/§12.2 error codes a proof can earn. */
export type DpopErrorCode = 'invalid_dpop_proof' | 'use_dpop_nonce';

/**
 * A proof refused. `error` is `use_dpop_nonce` when only the server nonce was missing or stale
 * (§8, §9: the client retries with the nonce it is given), `invalid_dpop_proof` otherwise.
 * The description is fixed text, never the proof's content.
 */
export class DpopProofError extends Error {
  readonly code = 'ERR_DPOP_PROOF';
  readonly error: DpopErrorCode;
  constructor(error: DpopErrorCode, description: string) {
    assertErrorDescription(description);
    super(description);
    this.name = 'DpopProofError';
    this.error = error;
  }
}

/** A verified proof. */
export interface DpopProof {
  /** JWK SHA-256 thumbprint of the proof's key (RFC 7638), base64url: the `cnf.jkt` it binds to (§6.1). */
  jkt: string;
  jti: string;
  /** Seconds since the epoch. */
  iat: number;
}

/**
 * Where spent proofs are recorded, shared by every instance that accepts them (§11.1). `spend`
 * records `key` until `expiresAt` (ms) and is atomic: of concurrent calls with one key exactly one
 * gets `true`.
 */
export interface DpopReplayCache {
  spend(key: string, expiresAt: number): Promise<boolean>;
}

/** Server nonces (§8, §9): the current one to hand out, and whether a presented one is still good. */
export interface DpopNonces {
  current(): string;
  isValid(nonce: string): boolean;
}

export interface VerifyDpopProofOptions {
  /** The request's method (`htm`, §4.3 point 8). */
  method: string;
  /** The URL the proof must name (`htu`, §4.3 point 9): the endpoint's public URL; query and fragment are ignored. */
  url: string;
  /** Now, in milliseconds. */
  now: number;
  /** Spent `jti`s (§4.3 point 12). */
  replay: DpopReplayCache;
  /** When given, the proof must carry a current nonce (§4.3 point 10). */
  nonces?: DpopNonces | undefined;
  /** The access token presented with the proof: its hash must be `ath` (§4.3 point 13, §7). */
  accessToken?: string | undefined;
  /** Seconds `iat` may be in the past. Default {@link DPOP_DEFAULT_MAX_AGE}. */
  maxAge?: number | undefined;
  /** The algorithms accepted, a subset of {@link DPOP_ALGORITHMS} (a profile's). Default: all of them. */
  algorithms?: readonly string[] | undefined;
}

/**
 * The one `DPoP` header of a request, `undefined` when there is none. Several headers (which the
 * Fetch API joins with commas, a character no compact JWS holds) are refused (§4.3 point 1).
 */
export function dpopHeaderOf(request: Request): string | undefined {
  const value = request.headers.get('dpop');
  if (value === null) return undefined;
  if (value.includes(',')) throw new DpopProofError('invalid_dpop_proof', 'exactly one DPoP header is allowed');
  return value.trim();
}

/** `ath` (§4.2): base64url of the SHA-256 of the access token's ASCII. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/**
 * A URL as `htu` compares it (§4.3 point 9): without query and fragment, normalised per RFC 3986
 * §6.2.2 (case of scheme and host, percent-encodings in upper case, dot segments) and §6.2.3 (the
 * default port dropped, an empty path as `/`), which the WHATWG URL parser does but for the case
 * of percent-encodings. `undefined` when it is not an absolute http(s) URL.
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const path = url.pathname.replace(/%[0-9a-f]{2}/gi, (escape) => escape.toUpperCase());
  return `${url.protocol}//${url.host}${path}`;
}

/**
 * Verifies a DPoP proof JWT (RFC 9449 §4.3) and spends its `jti`: `typ` `dpop+jwt`, an asymmetric
 * algorithm of {@link DPOP_ALGORITHMS}, a public `jwk` (no private members: jose refuses a key
 * that imports as private) that verifies the signature, `htm` and `htu` of this request, `iat`
 * within the window, the nonce when one is required, `ath` when an access token is presented,
 * then the `jti` recorded (spent last, once every other check passed, atomically: a proof replayed
 * concurrently succeeds once).
 *
 * @throws {DpopProofError}
 */
export async function verifyDpopProof(proof: string, options: VerifyDpopProofOptions): Promise<DpopProof> {
  const invalid = (description: string) => new DpopProofError('invalid_dpop_proof', description);
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalid('the DPoP proof is not a JWT');
  }
  if (header.typ !== 'dpop+jwt') throw invalid('the DPoP proof must have typ dpop+jwt');
  const algorithms = options.algorithms ?? DPOP_ALGORITHMS;
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) throw invalid('the DPoP proof algorithm is not supported');
  const jwk: unknown = header.jwk;
  if (typeof jwk !== 'object' || jwk === null) throw invalid('the DPoP proof must carry its public key in jwk');
  // §4.3 point 7: never a private key. jose would import an RSA/EC/OKP key with `d` as private and
  // refuse it too; checking the members refuses it before any key import.
  if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((member) => member in jwk)) throw invalid('the DPoP proof jwk must be a public key');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...algorithms] }));
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) throw invalid('the DPoP proof signature or key is not valid');
    throw error;
  }
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw invalid('the DPoP proof needs a jti');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('the DPoP proof needs an iat');
  if (htm !== options.method) throw invalid('the DPoP proof htm does not match the request method');
  const expected = normalizeHtu(options.url);
  if (typeof htu !== 'string' || expected === undefined || normalizeHtu(htu) !== expected) throw invalid('the DPoP proof htu does not match the request URL');
  const maxAge = options.maxAge ?? DPOP_DEFAULT_MAX_AGE;
  const nowSeconds = options.now / 1000;
  if (iat > nowSeconds + DPOP_CLOCK_LEEWAY) throw invalid('the DPoP proof iat is in the future');
  if (iat < nowSeconds - maxAge - DPOP_CLOCK_LEEWAY) throw invalid('the DPoP proof is too old');
  if (options.accessToken !== undefined) {
    if (typeof payload.ath !== 'string' || !safeEqual(payload.ath, accessTokenHash(options.accessToken))) {
      throw invalid('the DPoP proof ath does not match the access token');
    }
  }
  if (options.nonces) {
    if (typeof payload.nonce !== 'string' || !options.nonces.isValid(payload.nonce)) {
      throw new DpopProofError('use_dpop_nonce', 'the DPoP proof needs the current server nonce');
    }
  }
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  // Keyed by key and jti: another key's proofs cannot use up this key's jtis.
  const key = createHash('sha256').update(`${jkt}\0${jti}`).digest('base64url');
  if (!(await options.replay.spend(key, (iat + maxAge + 2 * DPOP_CLOCK_LEEWAY) * 1000))) throw invalid('the DPoP proof was already used');
  return { jkt, jti, iat };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Stateless server nonces (§8, §9): the HMAC of a time window under a secret, so every instance
 * holding the secret hands out and accepts the same nonces, without storing any. A nonce is good
 * for its window and the next (between `windowSeconds` and twice that), then a new one is needed.
 *
 * @example
 * const nonces = createDpopNonces({ secret: process.env.DPOP_NONCE_SECRET!, now: Date.now });
 */
export function createDpopNonces(options: { secret: string | Uint8Array; now: () => number; windowSeconds?: number }): DpopNonces {
  const window = (options.windowSeconds ?? 300) * 1000;
  const nonceOf = (index: number) => createHmac('sha256', options.secret).update(`dpop-nonce\0${index}`).digest('base64url');
  return {
    current: () => nonceOf(Math.floor(options.now() / window)),
    isValid: (nonce) => {
      const index = Math.floor(options.now() / window);
      return safeEqual(nonce, nonceOf(index)) || safeEqual(nonce, nonceOf(index - 1));
    },
  };
}

/**
 * A bounded in-memory replay cache (one process): spent keys stay until they expire, or the oldest
 * go when it holds `maxEntries` (then a proof so old is refused by its `iat` anyway, unless the
 * window is longer than the cache lasts under load: share a store across instances for that).
 */
export function createMemoryDpopReplayCache(options: { now?: () => number; maxEntries?: number } = {}): DpopReplayCache {
  const now = options.now ?? Date.now;
  const max = options.maxEntries ?? 100_000;
  const spent = new Map<string, number>();
  return {
    async spend(key, expiresAt) {
      const until = spent.get(key);
      if (until !== undefined && until > now()) return false;
      spent.delete(key);
      spent.set(key, expiresAt);
      while (spent.size > max) spent.delete(spent.keys().next().value!);
      return true;
    },
  };
}

/**
 * The `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1): `algs` always, `error` and its
 * description when there is one. Quoted values never hold `"` or `\`.
 */
export function dpopChallenge(parts: {
  realm?: string | undefined;
  error?: string | undefined;
  description?: string | undefined;
  scope?: readonly string[] | undefined;
  /** RFC 9728 §5.1: the URL of the resource's metadata. */
  resourceMetadata?: string | undefined;
  algs?: readonly string[];
}): string {
  const quote = (value: string) => value.replace(/["\\]/g, '');
  const params: string[] = [];
  if (parts.realm !== undefined) params.push(`realm="${quote(parts.realm)}"`);
  if (parts.error !== undefined) {
    params.push(`error="${quote(parts.error)}"`);
    if (parts.description !== undefined) params.push(`error_description="${quote(parts.description)}"`);
  }
  if (parts.scope) params.push(`scope="${quote(parts.scope.join(' '))}"`);
  if (parts.resourceMetadata) params.push(`resource_metadata="${quote(parts.resourceMetadata)}"`);
  params.push(`algs="${(parts.algs ?? DPOP_ALGORITHMS).join(' ')}"`);
  return `DPoP ${params.join(', ')}`;
}

/** The `DPoP <token>` Authorization scheme (§7.1: token68). */
export const DPOP_AUTHORIZATION = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;
