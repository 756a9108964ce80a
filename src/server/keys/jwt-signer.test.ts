import { decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import type { SigningAlg } from '../../stores/contract.js';
import { signJwt } from './jwt-signer.js';

async function signerFor(alg: SigningAlg) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  // As the key ring holds them: imported from the stored JWK.
  const key = (await importJWK(await exportJWK(privateKey), alg)) as CryptoKey;
  return { signer: { kid: `kid-${alg}`, alg, key }, publicKey };
}

const claims = {
  iss: 'https://issuer.example',
  sub: 'user-1',
  aud: ['api', 'other'],
  exp: 2_000_000_000,
  iat: 1_700_000_000,
  scope: 'read write',
  name: 'Zoë "Z" \\ Ü',
};

describe('signJwt', () => {
  it.each(['ES256', 'RS256'] as const)('%s: jose verifies the token, with the header and claims given', async (alg) => {
    const { signer, publicKey } = await signerFor(alg);
    const token = await signJwt(signer, 'at+jwt', claims);
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, { algorithms: [alg], currentDate: new Date(1_800_000_000_000), typ: 'at+jwt' });
    expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: `kid-${alg}` });
    expect(payload).toEqual(claims);
  });

  it.each(['ES256', 'RS256'] as const)('%s: the same token jose would make, but for the signature', async (alg) => {
    const { signer } = await signerFor(alg);
    const ours = (await signJwt(signer, 'JWT', claims)).split('.');
    const theirs = (await new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', kid: signer.kid }).sign(signer.key)).split('.');
    expect(ours.slice(0, 2)).toEqual(theirs.slice(0, 2));
    // ES256: r || s, 64 bytes (RFC 7518 section 3.4), not DER.
    if (alg === 'ES256') expect(Buffer.from(ours[2]!, 'base64url')).toHaveLength(64);
  });

  it('is refused by jose when the claims change under the signature', async () => {
    const { signer, publicKey } = await signerFor('ES256');
    const [header, , signature] = (await signJwt(signer, 'JWT', claims)).split('.');
    const forged = `${header!}.${Buffer.from(JSON.stringify({ ...claims, sub: 'user-2' })).toString('base64url')}.${signature!}`;
    await expect(jwtVerify(forged, publicKey, { currentDate: new Date(1_800_000_000_000) })).rejects.toThrow();
    expect(decodeProtectedHeader(forged).kid).toBe('kid-ES256');
  });

  it('signs with a key ring key that jose exported and re-imported (JWK round trip)', async () => {
    const { signer, publicKey } = await signerFor('RS256');
    const jwk: JWK = await exportJWK(publicKey);
    const token = await signJwt(signer, 'JWT', { sub: 'x' });
    await expect(jwtVerify(token, await importJWK(jwk, 'RS256'))).resolves.toBeDefined();
  });
});
