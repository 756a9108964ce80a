import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { ConfigError } from './errors.js';

/** Minimum length of `GATEHOUSE_SECRET`, in characters. 32 random characters carry well over 128 bits. */
export const MIN_SECRET_LENGTH = 32;

const ENVELOPE_VERSION = 'v1';

/**
 * Keys derived from the one installation secret (`GATEHOUSE_SECRET`) with HKDF-SHA256 (RFC 5869),
 * one per purpose so that no key is used for two things.
 */
export class SecretKeys {
  readonly #encryption: Buffer;
  /** A KeyObject, prepared once: cheaper per HMAC than handing the raw key over each time. */
  readonly #hashing: KeyObject;

  constructor(secret: string) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(`secret must be a string of at least ${MIN_SECRET_LENGTH} characters (set GATEHOUSE_SECRET)`, 'ERR_MISSING_SECRET', 'secret');
    }
    const ikm = Buffer.from(secret, 'utf8');
    this.#encryption = derive(ikm, 'gatehouse/at-rest-encryption/v1');
    this.#hashing = createSecretKey(derive(ikm, 'gatehouse/keyed-hash/v1'));
  }

  /**
   * Encrypts `plaintext` with AES-256-GCM. `context` is bound as additional data, so a value
   * moved to another row (another key id, another user) fails to decrypt.
   */
  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#encryption, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [ENVELOPE_VERSION, iv.toString('base64url'), body.toString('base64url'), tag.toString('base64url')].join('.');
  }

  /** Reverses {@link encrypt}; throws when the secret, the context or the ciphertext differ. */
  decrypt(envelope: string, context: string): string {
    const [version, iv, body, tag] = envelope.split('.');
    if (version !== ENVELOPE_VERSION || !iv || !body || !tag) {
      throw new Error('unrecognised encrypted value');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#encryption, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  /**
   * Keyed SHA-256 (HMAC) of a high-entropy value such as a client secret or a refresh token.
   * A slow password hash is for low-entropy passwords; for 256-bit random values a keyed hash is
   * as strong and keeps the token endpoint fast.
   */
  hash(value: string, purpose: string): string {
    // One update of `purpose NUL value`: the same bytes as three, in one call.
    return createHmac('sha256', this.#hashing).update(`${purpose}\0${value}`).digest('base64url');
  }

  /** Constant-time comparison of `value` against a stored {@link hash}. */
  verifyHash(value: string, purpose: string, stored: string): boolean {
    const actual = Buffer.from(this.hash(value, purpose), 'utf8');
    const expected = Buffer.from(stored, 'utf8');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}

function derive(ikm: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), info, 32));
}

/** A fresh installation secret: 256 random bits, base64url. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}
