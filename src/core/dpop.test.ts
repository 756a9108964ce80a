import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { accessTokenHash, createDpopNonces, createMemoryDpopReplayCache, dpopHeaderOf, DpopProofError, normalizeHtu, verifyDpopProof } from './dpop.js';

const NOW = 1_800_000_000_000;
const URL_ = 'https://as.example.com/token';
const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
const publicJwk = await exportJWK(publicKey);

async function proof(
  claims: Record<string, unknown> = {},
  header: { alg?: string; typ?: string; jwk?: JWK } = {},
  key: CryptoKey | Uint8Array = privateKey,
): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: URL_, iat: NOW / 1000, jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: header.alg ?? 'ES256', typ: header.typ ?? 'dpop+jwt', jwk: header.jwk ?? publicJwk })
    .sign(key);
}

const verify = (jwt: string, options: Partial<Parameters<typeof verifyDpopProof>[1]> = {}) =>
  verifyDpopProof(jwt, { method: 'POST', url: URL_, now: NOW, replay: createMemoryDpopReplayCache({ now: () => NOW }), ...options });

async function refusal(promise: Promise<unknown>): Promise<DpopProofError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(DpopProofError);
  return error as DpopProofError;
}

describe('verifyDpopProof (RFC 9449 §4.3)', () => {
  it('accepts a valid proof and answers the key thumbprint', async () => {
    const verified = await verify(await proof());
    expect(verified.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('compares htu without query and fragment, normalised (§4.3 point 9)', async () => {
    await expect(verify(await proof({ htu: 'HTTPS://AS.example.com:443/token?x=1#f' }))).resolves.toBeDefined();
    await expect(verify(await proof({ htu: 'https://as.example.com/%7etoken' }), { url: 'https://as.example.com/%7Etoken' })).resolves.toBeDefined();
    expect(normalizeHtu('https://a.example/b/../c?q#f')).toBe('https://a.example/c');
  });

  it.each([
    ['wrong htu', { htu: 'https://as.example.com/other' }, 'htu'],
    ['wrong htm', { htm: 'GET' }, 'htm'],
    ['stale iat', { iat: NOW / 1000 - 66 }, 'too old'],
    ['future iat', { iat: NOW / 1000 + 6 }, 'future'],
    ['no jti', { jti: undefined }, 'jti'],
  ])('refuses a proof with %s', async (_name, claims, message) => {
    const error = await refusal(verify(await proof(claims)));
    expect(error.error).toBe('invalid_dpop_proof');
    expect(error.message).toContain(message);
  });

  it('refuses a symmetric algorithm, a private key in jwk, and a wrong typ', async () => {
    const secret = new Uint8Array(32).fill(7);
    expect((await refusal(verify(await proof({}, { alg: 'HS256' }, secret)))).message).toContain('algorithm');
    const privateJwk = await exportJWK(privateKey);
    expect((await refusal(verify(await proof({}, { jwk: privateJwk })))).message).toContain('public key');
    expect((await refusal(verify(await proof({}, { typ: 'JWT' })))).message).toContain('typ');
  });

  it('refuses a proof signed by another key than its jwk', async () => {
    const other = await generateKeyPair('ES256');
    expect((await refusal(verify(await proof({}, {}, other.privateKey)))).message).toContain('signature');
  });

  it('checks ath against the access token (§4.3 point 13)', async () => {
    const good = await proof({ ath: accessTokenHash('token-a') });
    await expect(verify(good, { accessToken: 'token-a' })).resolves.toBeDefined();
    expect((await refusal(verify(await proof({ ath: accessTokenHash('token-a') }), { accessToken: 'token-b' }))).message).toContain('ath');
    expect((await refusal(verify(await proof(), { accessToken: 'token-a' }))).message).toContain('ath');
  });

  it('spends the jti once: a replay is refused', async () => {
    const replay = createMemoryDpopReplayCache({ now: () => NOW });
    const jwt = await proof();
    await verify(jwt, { replay });
    expect((await refusal(verify(jwt, { replay }))).message).toContain('already used');
  });

  it('requires a current server nonce when nonces are on (§8)', async () => {
    let now = NOW;
    const nonces = createDpopNonces({ secret: 'n'.repeat(32), now: () => now });
    expect((await refusal(verify(await proof(), { nonces }))).error).toBe('use_dpop_nonce');
    expect((await refusal(verify(await proof({ nonce: 'made-up' }), { nonces }))).error).toBe('use_dpop_nonce');
    const nonce = nonces.current();
    await expect(verify(await proof({ nonce }), { nonces })).resolves.toBeDefined();
    now += 2 * 300_000;
    expect(nonces.isValid(nonce)).toBe(false);
  });

  it('refuses more than one DPoP header (§4.3 point 1)', () => {
    const headers = new Headers();
    headers.append('DPoP', 'a.b.c');
    headers.append('DPoP', 'd.e.f');
    expect(() => dpopHeaderOf(new Request(URL_, { headers }))).toThrow(DpopProofError);
  });
});
