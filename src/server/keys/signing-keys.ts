import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { SigningAlg, SigningKeyRecord, Store } from '../../stores/contract.js';
import type { SecretKeys } from '../../core/secret.js';

/** The algorithms a key ring always holds an active key for: ES256 is the default, RS256 for clients that need it. */
export const SIGNING_ALGS: readonly SigningAlg[] = ['ES256', 'RS256'];

/** A private key ready to sign with. */
export interface ActiveSigningKey {
  kid: string;
  alg: SigningAlg;
  key: CryptoKey;
}

/** A published public key, imported once for verification. */
export interface PublishedKey {
  alg: SigningAlg;
  key: CryptoKey;
}

/** The public JWK Set document (RFC 7517 §5). */
export interface JwksDocument {
  keys: JWK[];
}

/** Leeway for clocks of resource servers when deciding how long a retired key stays published. */
const RETENTION_LEEWAY_MS = 5 * 60_000;

/** How long a retired key stays published: the longest lifetime of a token it signed, plus leeway. */
export function keyRetentionMs(longestTokenTtlSeconds: number): number {
  return longestTokenTtlSeconds * 1000 + RETENTION_LEEWAY_MS;
}

/** True while a key is active, or retired recently enough that tokens it signed may still be live. */
export function isPublished(record: SigningKeyRecord, now: number, retentionMs: number): boolean {
  return record.status === 'active' || (record.retiredAt ?? 0) + retentionMs > now;
}

/** Private keys are bound to their kid when encrypted, so a ciphertext moved to another row fails. */
function encryptionContext(kid: string): string {
  return `signing-key:${kid}`;
}

/**
 * Generates a fresh key pair for `alg` and returns the record to store, private half encrypted.
 * The `kid` is the RFC 7638 JWK thumbprint of the public key.
 */
export async function generateSigningKey(alg: SigningAlg, secretKeys: SecretKeys, now: number): Promise<SigningKeyRecord> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    alg,
    status: 'active',
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
    encryptedPrivateJwk: secretKeys.encrypt(JSON.stringify({ ...privateJwk, kid, alg }), encryptionContext(kid)),
    createdAt: now,
    retiredAt: null,
  };
}

/**
 * Makes new active keys for every algorithm; earlier keys stay published (retired) until the
 * tokens they signed have expired. Returns the new records.
 */
export async function rotateSigningKeys(
  store: Store,
  secretKeys: SecretKeys,
  now: number,
  algs: readonly SigningAlg[] = SIGNING_ALGS,
): Promise<SigningKeyRecord[]> {
  const fresh = await Promise.all(algs.map((alg) => generateSigningKey(alg, secretKeys, now)));
  await store.keys.rotate(fresh, now);
  return fresh;
}

/**
 * The server's signing keys, loaded from the store. Private keys are decrypted once, when first
 * seen, never per request. {@link refresh} picks up keys rotated by another process.
 */
export class KeyRing {
  readonly #store: Store;
  readonly #secretKeys: SecretKeys;
  /** How long a retired key stays published: the longest lifetime of anything it signed, plus leeway. */
  readonly #retentionMs: number;
  readonly #decrypted = new Map<string, CryptoKey>();
  #active = new Map<SigningAlg, ActiveSigningKey>();
  #activeSince: readonly { alg: SigningAlg; createdAt: number }[] = [];
  #jwks: JwksDocument = { keys: [] };
  #publicKeys = new Map<string, PublishedKey>();

  constructor(store: Store, secretKeys: SecretKeys, retentionMs: number) {
    this.#store = store;
    this.#secretKeys = secretKeys;
    this.#retentionMs = retentionMs;
  }

  /**
   * Loads keys, generating any missing active key (first start), and prunes keys that are no
   * longer published.
   */
  async load(now: number): Promise<void> {
    let records = await this.#store.keys.list();
    const missing = SIGNING_ALGS.filter((alg) => !records.some((record) => record.alg === alg && record.status === 'active'));
    if (missing.length > 0) {
      await rotateSigningKeys(this.#store, this.#secretKeys, now, missing);
      records = await this.#store.keys.list();
    }
    await this.#apply(records, now);
  }

  /** Re-reads the key list; decrypts only keys not seen before. */
  async refresh(now: number): Promise<void> {
    await this.#apply(await this.#store.keys.list(), now);
  }

  /** The active key for `alg`. */
  signingKey(alg: SigningAlg): ActiveSigningKey {
    const key = this.#active.get(alg);
    if (!key) throw new Error(`no active ${alg} signing key`);
    return key;
  }

  /** When the active key of each algorithm was made (ms since the epoch): `gatehouse_signing_key_age_seconds`. */
  activeKeysCreated(): readonly { alg: SigningAlg; createdAt: number }[] {
    return this.#activeSince;
  }

  /** Public keys only, each with `kid`, `alg`, `use`. */
  jwks(): JwksDocument {
    return this.#jwks;
  }

  /** A published public key by kid, for verifying tokens this server issued. */
  publicKey(kid: string): PublishedKey | undefined {
    return this.#publicKeys.get(kid);
  }

  async #apply(records: SigningKeyRecord[], now: number): Promise<void> {
    const published = records.filter((record) => isPublished(record, now, this.#retentionMs));
    const active = new Map<SigningAlg, ActiveSigningKey>();
    const activeSince: { alg: SigningAlg; createdAt: number }[] = [];
    // Newest first, so that if two processes raced at first start, every process signs with the same key.
    for (const record of [...records].reverse()) {
      if (record.status !== 'active' || active.has(record.alg)) continue;
      active.set(record.alg, { kid: record.kid, alg: record.alg, key: await this.#decrypt(record) });
      activeSince.push({ alg: record.alg, createdAt: record.createdAt });
    }
    const publicKeys = new Map<string, PublishedKey>();
    for (const record of published) {
      const known = this.#publicKeys.get(record.kid);
      publicKeys.set(record.kid, known ?? { alg: record.alg, key: (await importJWK(record.publicJwk as JWK, record.alg)) as CryptoKey });
    }
    this.#active = active;
    this.#activeSince = activeSince;
    this.#publicKeys = publicKeys;
    this.#jwks = { keys: published.map((record) => record.publicJwk as JWK) };
  }

  async #decrypt(record: SigningKeyRecord): Promise<CryptoKey> {
    const cached = this.#decrypted.get(record.kid);
    if (cached) return cached;
    let jwk: JWK;
    try {
      jwk = JSON.parse(this.#secretKeys.decrypt(record.encryptedPrivateJwk, encryptionContext(record.kid))) as JWK;
    } catch {
      throw new Error(`signing key ${record.kid} cannot be decrypted: GATEHOUSE_SECRET differs from the one the key was stored with`);
    }
    const key = (await importJWK(jwk, record.alg)) as CryptoKey;
    this.#decrypted.set(record.kid, key);
    return key;
  }
}
