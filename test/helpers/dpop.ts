/** DPoP (RFC 9449) keys and proofs signed as a client would, for tests of the server and the guard. */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { accessTokenHash } from '../../src/core/dpop.js';
import type { TestServer } from './server.js';

export interface DpopKey {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

export async function newDpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** A proof for `htu` at the server's current time. */
export function dpopProof(
  server: Pick<TestServer, 'clock'>,
  key: DpopKey,
  htu: string,
  claims: { htm?: string; accessToken?: string; nonce?: string; iat?: number } = {},
): Promise<string> {
  return new SignJWT({
    htm: claims.htm ?? 'POST',
    htu,
    iat: claims.iat ?? Math.floor(server.clock.now() / 1000),
    jti: crypto.randomUUID(),
    ...(claims.accessToken !== undefined ? { ath: accessTokenHash(claims.accessToken) } : {}),
    ...(claims.nonce !== undefined ? { nonce: claims.nonce } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .sign(key.privateKey);
}
