/**
 * Client keys: the public keys a client registers to sign its client assertions (`private_key_jwt`,
 * RFC 7523 §2.2) and its request objects (RFC 9101), either inline (`jwks`) or by URL (`jwks_uri`,
 * RFC 7591 §2; the two are mutually exclusive). Keys by URL are fetched with the SSRF-safe fetcher
 * (deadline, size bound, no private addresses), kept by their `Cache-Control` within bounds, one
 * fetch per URL at a time, and fetched again (at most once per {@link REFETCH_INTERVAL_MS}) when a
 * JWS names a key the cached set does not hold: the client rotated its keys.
 */
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { ClientRecord, Json } from '../../stores/contract.js';
import type { ServerConfig } from '../context.js';
import { parseIpRanges } from '../protection/ip-ranges.js';
import { fetchJson, SafeFetchError, type SafeFetchOptions } from '../network/safe-fetch.js';
import { freshnessLifetime } from './client-documents.js';

/**
 * The JWS algorithms a client may sign with: asymmetric only. `none` and the HMAC algorithms are
 * never accepted (a client's keys are public; a shared-secret MAC would need the secret stored in the clear).
 */
export const CLIENT_SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type ClientSigningAlg = (typeof CLIENT_SIGNING_ALGS)[number];

/** Members of a JWK that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const KEY_TYPES = ['RSA', 'EC', 'OKP'];
const MAX_KEYS = 20;
const MAX_JWKS_BYTES = 64 * 1024;
const MAX_URI_LENGTH = 2000;

/** Bounds of keeping a fetched key set: its `Cache-Control` within them, {@link DEFAULT_CACHE_SECONDS} when it says nothing. */
const MIN_CACHE_SECONDS = 60;
const MAX_CACHE_SECONDS = 24 * 3600;
const DEFAULT_CACHE_SECONDS = 300;
/** An unknown `kid` makes the set be fetched again, but not more often than this per URL. */
const REFETCH_INTERVAL_MS = 60_000;
const FETCH_TIMEOUT_MS = 5000;
/** A key set that could not be fetched is not asked for again before this: a broken URL cannot make the server fetch in a loop. */
const FAILURE_CACHE_MS = 30_000;
const CACHE_ENTRIES = 1000;

/** Registered keys that break a rule; the message names the rule, never the keys. */
export class InvalidClientKeys extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidClientKeys';
  }
}

/**
 * Validates a client's inline `jwks` (RFC 7591 §2): a JWK Set of 1 to 20 public keys (RSA, EC or
 * OKP), none with a private or symmetric member, at most 64 KiB. Returns it as JSON to keep.
 *
 * @throws {InvalidClientKeys} naming the rule broken.
 */
export function validateClientJwks(value: unknown): JSONWebKeySet & Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidClientKeys('jwks must be a JWK Set (a JSON object with keys)');
  const keys = (value as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) throw new InvalidClientKeys(`jwks must hold 1 to ${MAX_KEYS} keys`);
  if (serializedLength(value) > MAX_JWKS_BYTES) throw new InvalidClientKeys('jwks is too large');
  for (const key of keys as unknown[]) {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new InvalidClientKeys('every key of jwks must be a JWK (a JSON object)');
    const jwk = key as Record<string, unknown>;
    if (typeof jwk.kty !== 'string' || !KEY_TYPES.includes(jwk.kty)) throw new InvalidClientKeys('every key of jwks must be an RSA, EC or OKP public key');
    if (PRIVATE_MEMBERS.some((member) => member in jwk)) throw new InvalidClientKeys('jwks must hold public keys only (no private or symmetric key members)');
    if (jwk.kid !== undefined && typeof jwk.kid !== 'string') throw new InvalidClientKeys('a kid in jwks must be a string');
    if (jwk.alg !== undefined && !(CLIENT_SIGNING_ALGS as readonly unknown[]).includes(jwk.alg))
      throw new InvalidClientKeys(`an alg in jwks must be one of ${CLIENT_SIGNING_ALGS.join(', ')}`);
  }
  return JSON.parse(JSON.stringify({ keys })) as JSONWebKeySet & Json;
}

/**
 * The length of `value` as JSON; `Infinity` when it cannot be serialized: a value nested deeper than
 * the stack (a registration body or a fetched key set can be) makes `JSON.stringify` throw `RangeError`.
 */
function serializedLength(value: unknown): number {
  try {
    return JSON.stringify(value).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Validates a client's `jwks_uri` (RFC 7591 §2): an https URL without credentials or fragment. It
 * is fetched only when a JWS needs it, through the SSRF-safe fetcher.
 *
 * @throws {InvalidClientKeys} naming the rule broken.
 */
export function validateJwksUri(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_URI_LENGTH)
    throw new InvalidClientKeys(`jwks_uri must be 1 to ${MAX_URI_LENGTH} characters`);
  const url = URL.parse(value);
  if (url?.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.hash !== '')
    throw new InvalidClientKeys('jwks_uri must be an https URL without credentials or fragment');
  return value;
}

/** A signing algorithm a client registered (`token_endpoint_auth_signing_alg`, `request_object_signing_alg`). */
export function validateClientSigningAlg(value: unknown, field: string): ClientSigningAlg {
  if (!(CLIENT_SIGNING_ALGS as readonly unknown[]).includes(value)) throw new InvalidClientKeys(`${field} must be one of ${CLIENT_SIGNING_ALGS.join(', ')}`);
  return value as ClientSigningAlg;
}

/** Why a JWS of a client could not be checked against its keys: no keys, or the key set could not be fetched. */
export class ClientKeysUnavailable extends Error {
  readonly reason: 'no_client_keys' | 'jwks_uri_refused';
  constructor(reason: 'no_client_keys' | 'jwks_uri_refused', message: string) {
    super(message);
    this.name = 'ClientKeysUnavailable';
    this.reason = reason;
  }
}

interface Entry {
  keys: JWTVerifyGetKey;
  fetchedAt: number;
  until: number;
}

/** The server's client key sets fetched by URL: one per server instance, in memory. */
export class ClientKeys {
  readonly #entries = new Map<string, Entry>();
  readonly #flights = new Map<string, Promise<Entry>>();
  /** URLs whose last fetch failed, until when they are not fetched again. */
  readonly #failures = new Map<string, number>();

  constructor(
    private readonly fetchOptions: SafeFetchOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * The key resolver of `client` for `jose`'s `jwtVerify`: its inline `jwks`, or its `jwks_uri`'s
   * set (cached; fetched again once when the JWS names a key it does not hold).
   *
   * @throws {ClientKeysUnavailable} (from the resolver) when the client has no keys or its set cannot be fetched.
   */
  resolver(client: ClientRecord): JWTVerifyGetKey {
    const url = client.jwksUri;
    if (url === undefined) return ClientKeys.inline(client);
    return async (header, token) => {
      const entry = await this.#entry(url, false);
      try {
        return await entry.keys(header, token);
      } catch (error) {
        // A kid the set does not hold: the client may have rotated its keys. Fetched again, but at most once a minute.
        if (!(error instanceof errors.JWKSNoMatchingKey) || this.clock.now() - entry.fetchedAt < REFETCH_INTERVAL_MS) throw error;
        return (await this.#entry(url, true)).keys(header, token);
      }
    };
  }

  /** The resolver of a client's inline `jwks` (one that throws {@link ClientKeysUnavailable} for a client without). */
  static inline(client: ClientRecord): JWTVerifyGetKey {
    if (client.jwks !== undefined) return createLocalJWKSet(client.jwks as unknown as JSONWebKeySet);
    return () => {
      throw new ClientKeysUnavailable('no_client_keys', 'the client registered no keys');
    };
  }

  async #entry(url: string, refresh: boolean): Promise<Entry> {
    const cached = this.#entries.get(url);
    if (cached && !refresh && cached.until > this.clock.now()) return cached;
    if ((this.#failures.get(url) ?? 0) > this.clock.now()) throw new ClientKeysUnavailable('jwks_uri_refused', 'the client keys could not be fetched');
    const flying = this.#flights.get(url);
    if (flying) return flying;
    const flight = this.#fetch(url).finally(() => this.#flights.delete(url));
    this.#flights.set(url, flight);
    return flight;
  }

  async #fetch(url: string): Promise<Entry> {
    let set: JSONWebKeySet;
    let lifetime: number | 'no-store' | undefined;
    try {
      const { json, headers } = await fetchJson(url, this.fetchOptions);
      set = validateClientJwks(json);
      lifetime = freshnessLifetime(headers, this.clock.now());
    } catch (error) {
      if (!(error instanceof SafeFetchError || error instanceof InvalidClientKeys)) throw error;
      const reason = error instanceof SafeFetchError ? error.code : 'invalid_jwks';
      // The reason and the host for the operator; never the path or what the answer held.
      this.logger.warn({ reason, detail: error.message, host: URL.parse(url)?.host }, 'client jwks_uri refused');
      this.#failures.delete(url);
      this.#failures.set(url, this.clock.now() + FAILURE_CACHE_MS);
      while (this.#failures.size > CACHE_ENTRIES) this.#failures.delete(this.#failures.keys().next().value!);
      throw new ClientKeysUnavailable('jwks_uri_refused', 'the client keys could not be fetched');
    }
    const now = this.clock.now();
    this.#failures.delete(url);
    const seconds = lifetime === 'no-store' ? 0 : Math.min(MAX_CACHE_SECONDS, Math.max(MIN_CACHE_SECONDS, lifetime ?? DEFAULT_CACHE_SECONDS));
    const entry: Entry = { keys: createLocalJWKSet(set), fetchedAt: now, until: now + seconds * 1000 };
    this.#entries.delete(url);
    this.#entries.set(url, entry);
    while (this.#entries.size > CACHE_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    return entry;
  }
}

/** The server's client key sets, fetched with the same SSRF defences (and test allowances) as client metadata documents. */
export function createClientKeys(config: ServerConfig, clock: Clock, logger: Logger): ClientKeys {
  const { unsafeFetchAllowList, unsafeFetchAllowHttp } = config.protection;
  return new ClientKeys(
    {
      timeoutMs: FETCH_TIMEOUT_MS,
      maxBytes: MAX_JWKS_BYTES,
      allowHttp: unsafeFetchAllowHttp,
      allowedAddresses: parseIpRanges(unsafeFetchAllowList, 'protection.unsafeFetchAllowList'),
    },
    clock,
    logger,
  );
}

/** What a client's JWS must satisfy, beyond its signature by one of the client's keys. */
export interface ClientJwtRules {
  /** Algorithms accepted (a subset of {@link CLIENT_SIGNING_ALGS}). */
  algorithms: readonly string[];
  /** `typ` values accepted; a JWS without `typ` is accepted too. */
  types: readonly string[];
  /** The one audience accepted: this server's issuer identifier, as the sole value of `aud`. */
  audience: string;
  /** Longest accepted lifetime, seconds: `exp` no further than this from now (and from `iat`). */
  maxLifetimeSeconds: number;
  /** Tolerated clock difference, seconds. */
  skewSeconds: number;
}

/** Why a client's JWS was refused: a stable word for logs and audit, never the token. */
export class ClientJwtRefused extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`the JWT was refused: ${reason}`);
    this.name = 'ClientJwtRefused';
    this.reason = reason;
  }
}

/**
 * Verifies a JWS a client signed (a client assertion, a request object): the signature by one of
 * the client's keys under an accepted algorithm, `iss` the client, `aud` this server's issuer
 * alone (draft-ietf-oauth-rfc7523bis §4), `exp` present and not too far (`maxLifetimeSeconds`),
 * `nbf` and `iat` not in the future (within `skewSeconds`).
 *
 * @throws {ClientJwtRefused} with the reason; {@link ClientKeysUnavailable} passes through.
 */
export async function verifyClientJwt(
  keys: ClientKeys | undefined,
  clock: Clock,
  client: ClientRecord,
  jws: string,
  rules: ClientJwtRules,
): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    const resolver = keys?.resolver(client) ?? ClientKeys.inline(client);
    ({ payload } = await jwtVerify(jws, resolver, {
      algorithms: [...rules.algorithms],
      issuer: client.clientId,
      currentDate: new Date(clock.now()),
      clockTolerance: rules.skewSeconds,
      requiredClaims: ['exp'],
    }));
  } catch (error) {
    if (error instanceof ClientKeysUnavailable) throw error;
    if (error instanceof errors.JOSEError) throw new ClientJwtRefused(error.code.replace(/^ERR_/, '').toLowerCase());
    throw error;
  }
  const typ = (JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8')) as { typ?: unknown }).typ;
  if (typ !== undefined && (typeof typ !== 'string' || !rules.types.includes(typ.toLowerCase()))) throw new ClientJwtRefused('typ');
  const aud = Array.isArray(payload.aud) && payload.aud.length === 1 ? payload.aud[0] : payload.aud;
  if (aud !== rules.audience) throw new ClientJwtRefused('aud');
  const now = Math.floor(clock.now() / 1000);
  const exp = payload.exp!;
  if (exp - now > rules.maxLifetimeSeconds + rules.skewSeconds) throw new ClientJwtRefused('lifetime');
  if (payload.iat !== undefined && payload.iat > now + rules.skewSeconds) throw new ClientJwtRefused('iat');
  if (payload.iat !== undefined && exp - payload.iat > rules.maxLifetimeSeconds) throw new ClientJwtRefused('lifetime');
  return payload;
}
