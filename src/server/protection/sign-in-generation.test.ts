import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../stores/memory/index.js';
import { DEFAULT_RATE_LIMITS, RateLimits } from './rate-limits.js';
import { accountKey, FIRST_GENERATION, SIGN_IN_GENERATION, signInGeneration, signInGenerationTtlMs, startSignInGeneration } from './sign-in-generation.js';

const DAY = 86_400_000;

describe('sign-in generations', () => {
  it('an account never unlocked is in the first generation; an unlock starts a new one each time, for that account only', async () => {
    const store = createMemoryStore();
    expect(await signInGeneration(store, 'alice')).toBe(FIRST_GENERATION);
    expect(accountKey('alice', FIRST_GENERATION)).toBe('user:alice:0');
    const first = await startSignInGeneration(store, 'alice', Date.now(), DAY);
    expect(first).not.toBe(FIRST_GENERATION);
    expect(await signInGeneration(store, 'alice')).toBe(first);
    const second = await startSignInGeneration(store, 'alice', Date.now(), DAY);
    expect(second).not.toBe(first);
    expect(await signInGeneration(store, 'alice')).toBe(second);
    expect(await signInGeneration(store, 'bob')).toBe(FIRST_GENERATION);
  });

  it('expires after its TTL, back to the first generation', async () => {
    let now = Date.UTC(2025, 0, 1);
    const store = createMemoryStore({ clock: { now: () => now } });
    await startSignInGeneration(store, 'alice', now, DAY);
    now += DAY + 1;
    expect(await signInGeneration(store, 'alice')).toBe(FIRST_GENERATION);
  });

  it('concurrent unlocks all succeed and leave one fresh generation', async () => {
    const store = createMemoryStore();
    const written = await Promise.all(Array.from({ length: 10 }, () => startSignInGeneration(store, 'alice', Date.now(), DAY)));
    const current = await signInGeneration(store, 'alice');
    expect(current).not.toBe(FIRST_GENERATION);
    expect(written).toContain(current);
    expect((await store.artifacts.get(SIGN_IN_GENERATION, 'alice'))?.ownerId).toBeNull();
  });

  it.each([
    ['the defaults', undefined, 30 * DAY],
    ['a lockout of 60 days', { signInPerAccountIp: { lockoutSeconds: 60 * 86_400 } }, 61 * DAY],
    ['a per-account window of 40 days', { signInPerAccount: { seconds: 40 * 86_400 } }, 41 * DAY],
  ])('TTL with %s: a day past the longest window or lockout, at least 30 days', (_name, overrides, expected) => {
    expect(signInGenerationTtlMs(overrides)).toBe(expected);
  });

  it('a new generation orphans the locked counters: the same limits count from zero under the new key', async () => {
    const limits = new RateLimits({ ...DEFAULT_RATE_LIMITS, signInPerAccountIp: { points: 2, seconds: 900, lockoutSeconds: 900 } });
    const store = createMemoryStore();
    const spend = async () => {
      const account = accountKey('alice', await signInGeneration(store, 'alice'));
      return (await limits.reserve([{ limiter: 'signInPerAccountIp', key: `${account}|203.0.113.7` }])).limited;
    };
    expect(await spend()).toBeUndefined();
    expect(await spend()).toBeUndefined();
    expect(await spend()).toMatchObject({ limiter: 'signInPerAccountIp' });
    await startSignInGeneration(store, 'alice', Date.now(), DAY);
    expect(await spend()).toBeUndefined();
  });
});
