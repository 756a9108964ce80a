/**
 * The guard's JWKS cache: an unknown `kid` triggers at most one refetch per cooldown (a flood of
 * forged tokens cannot hammer the issuer), and a key rotated at the issuer is picked up by one.
 */
import { generateKeyPair } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rotateSigningKeys } from '../../src/server/keys/signing-keys.js';
import { createResourceGuard, type ResourceGuardOptions } from '../../src/resource/index.js';
import { answer, API, countingFetch, expectBearerError, partsOf, sign, startIssuer, type RunningIssuer } from './support.js';

const started: RunningIssuer[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(started.splice(0).map((issuer) => issuer.close()));
});

/**
 * Moves the wall clock (`Date`, which the JWKS cache's cooldown and age are measured on) `ms`
 * ahead, instead of waiting that long. Timers stay real: the HTTP around it works as usual.
 */
function later(ms: number): void {
  if (!vi.isFakeTimers()) vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  vi.setSystemTime(Date.now() + ms);
}

async function issuer(): Promise<RunningIssuer> {
  const as = await startIssuer();
  started.push(as);
  return as;
}

function jwtGuard(as: RunningIssuer, options: Partial<ResourceGuardOptions> = {}) {
  const net = countingFetch();
  const guard = createResourceGuard({ issuer: as.issuer, audience: API, fetch: net.fetch, allowInsecureRequests: true, ...options });
  return { guard, net };
}

/** Genuine claims signed by a key the issuer never published, under `kid`. */
async function forgedWithUnknownKey(token: string, kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return sign({ alg: 'ES256', typ: 'at+jwt', kid }, partsOf(token).claims, privateKey);
}

describe('unknown kid', () => {
  it('refetches the JWKS once, then refuses; no refetch within the cooldown; again after it', async () => {
    const as = await issuer();
    const { guard, net } = jwtGuard(as, { jwksCooldown: 1 });
    const token = await as.token('notes:read');
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
    expect(net.count('/jwks')).toBe(1);

    later(1100);
    const body = await expectBearerError(await answer(guard, await forgedWithUnknownKey(token, 'attacker-1')), 401, 'invalid_token');
    expect(body.error_description).toMatch(/unknown key/);
    expect(net.count('/jwks')).toBe(2);

    // Within the cooldown: another unknown kid, then a burst of them, cause no fetch at all.
    await expectBearerError(await answer(guard, await forgedWithUnknownKey(token, 'attacker-2')), 401, 'invalid_token');
    const burst = await Promise.all(Array.from({ length: 20 }, async (_, i) => answer(guard, await forgedWithUnknownKey(token, `attacker-burst-${i}`))));
    expect(burst.map((response) => response.status)).toEqual(Array(20).fill(401));
    expect(net.count('/jwks')).toBe(2);
    // The genuine token still verifies from the cache.
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
    expect(net.count('/jwks')).toBe(2);

    later(1100);
    await expectBearerError(await answer(guard, await forgedWithUnknownKey(token, 'attacker-3')), 401, 'invalid_token');
    expect(net.count('/jwks')).toBe(3);
  });

  it('does not refetch within the default cooldown (30 s) of the first fetch', async () => {
    const as = await issuer();
    const { guard, net } = jwtGuard(as);
    const token = await as.token('notes:read');
    // The first token seen has an unknown kid: the initial fetch is the only one.
    await expectBearerError(await answer(guard, await forgedWithUnknownKey(token, 'attacker')), 401, 'invalid_token');
    expect(net.count('/jwks')).toBe(1);
    for (let i = 0; i < 5; i += 1) await answer(guard, await forgedWithUnknownKey(token, `attacker-${i}`));
    expect(net.count('/jwks')).toBe(1);
  });

  it("does not refetch for a token whose kid is known but whose signature is not the key holder's", async () => {
    const as = await issuer();
    const { guard, net } = jwtGuard(as, { jwksCooldown: 0 });
    const token = await as.token('notes:read');
    await guard.verify(token);
    const forged = await forgedWithUnknownKey(token, partsOf(token).header.kid!);
    const body = await expectBearerError(await answer(guard, forged), 401, 'invalid_token');
    expect(body.error_description).toMatch(/signature/);
    expect(net.count('/jwks')).toBe(1);
  });
});

describe('key rotation at the issuer', () => {
  it('accepts a token signed with the new key after exactly one refetch; old tokens stay valid', async () => {
    const as = await issuer();
    const { guard, net } = jwtGuard(as, { jwksCooldown: 0 });
    const before = await as.token('notes:read');
    expect((await guard.verify(before)).sub).toBe(as.machine.clientId);
    expect(net.count('/jwks')).toBe(1);

    await rotateSigningKeys(as.test.store, as.test.secretKeys, Date.now());
    await as.restart();
    const after = await as.token('notes:read');
    expect(partsOf(after).header.kid).not.toBe(partsOf(before).header.kid);

    expect((await guard.verify(after)).sub).toBe(as.machine.clientId);
    expect(net.count('/jwks')).toBe(2);
    // The retired key is still published and cached: the older token verifies without a fetch.
    expect((await guard.verify(before)).sub).toBe(as.machine.clientId);
    expect((await guard.verify(after)).sub).toBe(as.machine.clientId);
    expect(net.count('/jwks')).toBe(2);
  });

  it('refetches the whole JWKS once its cache age is over', async () => {
    const as = await issuer();
    const { guard, net } = jwtGuard(as, { jwksCacheMaxAge: 1 });
    const token = await as.token('notes:read');
    await guard.verify(token);
    await guard.verify(token);
    expect(net.count('/jwks')).toBe(1);
    later(1100);
    await guard.verify(token);
    expect(net.count('/jwks')).toBe(2);
  });
});
