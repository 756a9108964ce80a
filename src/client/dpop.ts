/**
 * DPoP (RFC 9449) for the relying party and the machine client, on oauth4webapi's DPoP support: its
 * handle (`oauth.DPoP`) signs every proof (`htm`, `htu`, `iat`, `jti`, and `ath` at a resource) and
 * remembers the last `DPoP-Nonce` of each origin; this module chooses the keys, keeps them with the
 * session, retries once on `use_dpop_nonce`, and refuses an unbound token where one was required.
 */
import { exportJWK, importJWK, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { ConfigError } from '../core/errors.js';
import { rejectUnknownOptions, type OptionNames } from '../core/option-checks.js';
import { OAuthValidationError } from './errors.js';

/** The proof-signing algorithms the client offers (RFC 9449 §3.1: asymmetric only). Default `ES256`. */
export type DPoPAlgorithm = 'ES256' | 'EdDSA' | 'PS256' | 'RS256';

const ALGORITHMS: readonly DPoPAlgorithm[] = ['ES256', 'EdDSA', 'PS256', 'RS256'];

/**
 * The `dpop` option of `createOAuthClient`: `true` for the defaults, or the algorithm and whether
 * a bearer token is refused.
 */
export interface DPoPOptions {
  /** Algorithm of the key pair generated for each session. Default `ES256`. */
  alg?: DPoPAlgorithm;
  /**
   * `true` (the default): a token response without `token_type: DPoP` fails with an
   * `OAuthValidationError` (`reason: 'dpop_not_bound'`); the client never falls back to a bearer
   * token on its own. `false`: such a token is kept and used as a bearer token (RFC 9449 §5: the
   * client learns from `token_type` whether the provider supports DPoP).
   */
  required?: boolean;
}

/** The `dpop` option of `createMachineClient`: as {@link DPoPOptions}, plus a key pair of your own. */
export interface MachineDPoPOptions extends DPoPOptions {
  /**
   * The key pair to sign proofs with (its public key extractable, as oauth4webapi requires). Default:
   * one generated for the client instance (private key non-extractable), which lives as long as it does.
   */
  keyPair?: CryptoKeyPair;
}

const DPOP_OPTIONS = { alg: true, required: true, keyPair: true } satisfies OptionNames<MachineDPoPOptions>;

/** The resolved `dpop` option. */
export interface DPoPSettings {
  alg: DPoPAlgorithm;
  required: boolean;
  keyPair: CryptoKeyPair | undefined;
}

/**
 * Validates a `dpop` option (`undefined`/`false`: off).
 *
 * @throws {ConfigError} naming `dpop` or the bad member.
 */
export function resolveDPoPOption(value: boolean | MachineDPoPOptions | undefined, allowKeyPair: boolean): DPoPSettings | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { alg: 'ES256', required: true, keyPair: undefined };
  // For JavaScript callers, whom the types do not reach.
  const given: unknown = value;
  if (typeof given !== 'object' || given === null) throw new ConfigError('option "dpop" must be true, false or an object', 'ERR_INVALID_OPTION', 'dpop');
  rejectUnknownOptions(value, allowKeyPair ? DPOP_OPTIONS : { alg: true, required: true }, 'dpop.');
  const alg = value.alg ?? 'ES256';
  if (!ALGORITHMS.includes(alg)) throw new ConfigError(`option "dpop.alg" must be one of ${ALGORITHMS.join(', ')}`, 'ERR_INVALID_OPTION', 'dpop.alg');
  if (value.required !== undefined && typeof value.required !== 'boolean') {
    throw new ConfigError('option "dpop.required" must be a boolean', 'ERR_INVALID_OPTION', 'dpop.required');
  }
  const keyPair = value.keyPair;
  if (keyPair !== undefined && !(isCryptoKey(keyPair.privateKey) && isCryptoKey(keyPair.publicKey) && keyPair.publicKey.extractable)) {
    throw new ConfigError('option "dpop.keyPair" must be a CryptoKeyPair with an extractable public key', 'ERR_INVALID_OPTION', 'dpop.keyPair');
  }
  return { alg, required: value.required ?? true, keyPair };
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof value === 'object' && value !== null && Object.prototype.toString.call(value) === '[object CryptoKey]';
}

/**
 * oauth4webapi names an Ed25519 proof by the fully-specified `Ed25519`; `EdDSA` is the name RFC
 * 9449 deployments (and `dpop_signing_alg_values_supported` lists) use.
 */
const remapEd25519: oauth.ModifyAssertionOptions = {
  [oauth.modifyAssertion]: (header) => {
    if (header.alg === 'Ed25519') header.alg = 'EdDSA';
  },
};

/** A DPoP handle for a key pair (the nonce cache is the handle's: per origin, as RFC 9449 §8 keeps them). */
export function dpopHandle(client: oauth.Client, keyPair: CryptoKeyPair): oauth.DPoPHandle {
  return oauth.DPoP(client, keyPair, remapEd25519);
}

/** A new key pair: the private key non-extractable unless it must be exported to be stored. */
export function generateDPoPKeyPair(alg: DPoPAlgorithm, extractable = false): Promise<CryptoKeyPair> {
  return oauth.generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, { extractable });
}

/**
 * Runs a request and the processing of its response, and once more when the server asked for a
 * (fresh) nonce: `use_dpop_nonce` in a token endpoint's error body (RFC 9449 §8) or in a resource's
 * `WWW-Authenticate: DPoP` challenge (§9). oauth4webapi's handle has already kept the nonce the
 * failed response carried, so the second proof includes it. A second refusal is the caller's error.
 */
export async function retryOnNonce<T>(dpop: oauth.DPoPHandle | undefined, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (dpop === undefined || !oauth.isDPoPNonceError(error)) throw error;
    return attempt();
  }
}

/**
 * RFC 9449 §5: a client learns from `token_type` whether the provider bound the token. Where DPoP is
 * required, anything but `DPoP` is refused rather than used as a bearer token.
 *
 * @returns whether the token is DPoP-bound (so later requests must carry proofs).
 * @throws {OAuthValidationError} `dpop_not_bound`.
 */
export function checkTokenBinding(required: boolean, tokenType: string): boolean {
  // oauth4webapi lower-cases token_type (its case is not significant, RFC 6749 §5.1).
  if (tokenType.toLowerCase() === 'dpop') return true;
  if (required) {
    throw new OAuthValidationError('dpop_not_bound', `the provider issued a ${tokenType} token where a DPoP-bound one was required (RFC 9449 §5)`);
  }
  return false;
}

/**
 * A session's DPoP key (RFC 9449 §2: one key pair per session, generated at sign-in, kept for the
 * refreshes and API calls of that session, gone with it). Exactly one of `keyPair` and `jwk`.
 */
export interface SessionDPoPKey {
  /** The public key's JWK SHA-256 thumbprint (RFC 7638): the `cnf.jkt` the provider binds tokens to. */
  jkt: string;
  /** In a store that keeps sessions as objects in this process (memory): the private key is non-extractable. */
  keyPair?: CryptoKeyPair;
  /**
   * In a store that serializes sessions (cookie sessions, Redis): the private key as a JWK, encrypted
   * at rest with the rest of the session, exactly as its tokens are.
   */
  jwk?: JWK;
}

/** Generates a session's key, in the form its store keeps (see {@link SessionDPoPKey}). */
export async function createSessionKey(
  client: oauth.Client,
  alg: DPoPAlgorithm,
  keepsObjects: boolean,
): Promise<{ key: SessionDPoPKey; handle: oauth.DPoPHandle }> {
  const keyPair = await generateDPoPKeyPair(alg, !keepsObjects);
  const handle = dpopHandle(client, keyPair);
  const jkt = await handle.calculateThumbprint();
  if (keepsObjects) return { key: { jkt, keyPair }, handle };
  const jwk = { ...(await exportJWK(keyPair.privateKey)), alg };
  // The handle in use holds a non-extractable copy: nothing in this process can export it again.
  return { key: { jkt, jwk }, handle: dpopHandle(client, await importKeyPair(jwk)) };
}

/** JWK members that are private (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2). */
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth']);

async function importKeyPair(jwk: JWK): Promise<CryptoKeyPair> {
  const alg = jwk.alg!;
  const publicJwk = Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.has(name))) as JWK;
  const [privateKey, publicKey] = await Promise.all([importJWK(jwk, alg, { extractable: false }), importJWK(publicJwk, alg, { extractable: true })]);
  return { privateKey: privateKey as CryptoKey, publicKey: publicKey as CryptoKey };
}

/** How many sessions' handles (and so their nonces) a client keeps between requests. */
const HANDLE_CACHE_SIZE = 1000;

/**
 * Sessions' DPoP handles, kept between requests so a serialized session's key is imported once and
 * the nonces a provider or API handed out are reused (least recently used dropped past the bound).
 */
export class SessionDPoPHandles {
  readonly #client: oauth.Client;
  readonly #handles = new Map<string, { jkt: string; handle: Promise<oauth.DPoPHandle> }>();

  constructor(client: oauth.Client) {
    this.#client = client;
  }

  /** Remembers the handle a new session was signed in with. */
  remember(sessionId: string, key: SessionDPoPKey, handle: oauth.DPoPHandle): void {
    this.#set(sessionId, { jkt: key.jkt, handle: Promise.resolve(handle) });
  }

  /** The handle of a session's key; `undefined` for a session without one (bearer tokens). */
  async forSession(session: { id: string; dpop?: SessionDPoPKey | undefined }): Promise<oauth.DPoPHandle | undefined> {
    return session.dpop ? this.#handle(session.id, session.dpop) : undefined;
  }

  #handle(sessionId: string, key: SessionDPoPKey): Promise<oauth.DPoPHandle> {
    const cached = this.#handles.get(sessionId);
    if (cached?.jkt === key.jkt) {
      this.#set(sessionId, cached);
      return cached.handle;
    }
    const handle = (async () => {
      if (key.keyPair) return dpopHandle(this.#client, key.keyPair);
      if (key.jwk) return dpopHandle(this.#client, await importKeyPair(key.jwk));
      throw new TypeError('the session DPoP key has neither keyPair nor jwk');
    })();
    const entry = { jkt: key.jkt, handle };
    this.#set(sessionId, entry);
    handle.catch(() => {
      if (this.#handles.get(sessionId) === entry) this.#handles.delete(sessionId);
    });
    return handle;
  }

  /** Forgets a session that ended. */
  forget(sessionId: string): void {
    this.#handles.delete(sessionId);
  }

  #set(sessionId: string, entry: { jkt: string; handle: Promise<oauth.DPoPHandle> }): void {
    this.#handles.delete(sessionId);
    if (this.#handles.size >= HANDLE_CACHE_SIZE) this.#handles.delete(this.#handles.keys().next().value!);
    this.#handles.set(sessionId, entry);
  }
}

/**
 * Calls a protected resource with an access token: `Authorization: Bearer`, or with a DPoP handle
 * `Authorization: DPoP` and a proof carrying `ath` (RFC 9449 §7). A `401` challenging with
 * `use_dpop_nonce` (§9) is retried once with the nonce it carried; any other challenge is returned
 * as the resource's response, as `fetch` would. A streamed body cannot be sent twice: that request
 * is not retried.
 */
export async function fetchProtectedResource(
  accessToken: string,
  dpop: oauth.DPoPHandle | undefined,
  input: string | URL,
  init: RequestInit,
  requestOptions: { [oauth.customFetch]: typeof fetch; [oauth.allowInsecureRequests]?: boolean },
): Promise<Response> {
  const url = new URL(input);
  const method = init.method ?? 'GET';
  const body = (init.body ?? undefined) as oauth.ProtectedResourceRequestBody;
  const send = () =>
    oauth.protectedResourceRequest(accessToken, method, url, new Headers(init.headers), body, {
      ...requestOptions,
      // The same call, typed for a body oauth4webapi passes through as it was given.
      [oauth.customFetch]: (target, options) => requestOptions[oauth.customFetch](target, options as RequestInit),
      ...(init.signal ? { signal: init.signal } : {}),
      ...(dpop ? { DPoP: dpop } : {}),
    });
  try {
    return await (body instanceof ReadableStream ? send() : retryOnNonce(dpop, send));
  } catch (error) {
    if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response;
    throw error;
  }
}
