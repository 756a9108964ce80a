import { KeyObject, sign } from 'node:crypto';
import type { ActiveSigningKey } from './signing-keys.js';

/** The private key as a `KeyObject`, converted once per key (signing with it is synchronous). */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function keyObjectOf(key: CryptoKey): KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = KeyObject.from(key);
    keyObjects.set(key, object);
  }
  return object;
}

const base64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/**
 * Signs a JWT (RFC 7519, JWS compact serialization, RFC 7515 §7.1) with the active key, through
 * `node:crypto`'s `sign` and a cached `KeyObject`: the token endpoint's hot path. The signature is
 * computed on libuv's thread pool (`sign` with a callback), not on the event loop: under load the
 * main thread is the bottleneck, and a P-256 signature is its largest single item.
 * ES256 signatures are the 64-byte `r || s` of RFC 7518 §3.4 (`ieee-p1363`), RS256 PKCS #1 v1.5
 * (§3.3). Tests verify every token it makes with `jose` (`jwt-signer.test.ts`).
 */
export function signJwt(signer: ActiveSigningKey, typ: string, claims: object): Promise<string> {
  const input = `${base64url(JSON.stringify({ alg: signer.alg, typ, kid: signer.kid }))}.${base64url(JSON.stringify(claims))}`;
  const key = keyObjectOf(signer.key);
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, signature: Buffer): void => {
      if (error) reject(error);
      else resolve(`${input}.${signature.toString('base64url')}`);
    };
    if (signer.alg === 'ES256') sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, done);
    else sign('sha256', Buffer.from(input), key, done);
  });
}
