import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../stores/memory/index.js';
import { DEFAULT_RATE_LIMITS, RateLimits, type LimiterName, type Reservation } from './rate-limits.js';
import { accountSignInState, failureDelayMs } from './sign-in-attempts.js';
import { accountKey, signInGeneration, startSignInGeneration } from './sign-in-generation.js';

/** A reservation that counted `perAccountIp` and `perAccount` failures so far, this one included. */
function reservation(perAccountIp: number, perAccount: number): Reservation {
  const counts: Partial<Record<LimiterName, number>> = { signInPerAccountIp: perAccountIp, signInPerAccount: perAccount };
  return { limited: undefined, count: (limiter) => counts[limiter] ?? 0, refund: async () => undefined };
}

describe('failureDelayMs: the wait before answering a failed sign-in', () => {
  it.each([
    // [failures from this address, failures on the account from anywhere, wait]
    [1, 1, 250],
    [2, 2, 500],
    [3, 3, 1000],
    [4, 4, 2000],
    [5, 5, 4000],
    [6, 6, 4000],
    [100, 100, 4000],
    // The larger count decides: many addresses against one account, or one address whose account counter is exempt.
    [1, 3, 1000],
    [3, 0, 1000],
    // Nothing counted (both budgets exempt or unspent): still the first delay.
    [0, 0, 250],
  ])('%i failures from the address, %i on the account: %i ms', (perAccountIp, perAccount, expected) => {
    expect(failureDelayMs(reservation(perAccountIp, perAccount))).toBe(expected);
  });
});

describe('accountSignInState: the account-wide throttle, read without spending', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  afterAll(() => redis.quit());

  it.each(['memory', 'redis'] as const)(
    'counts failures, says when browsers new to the account are refused, and starts afresh after an unlock (%s)',
    async (backend) => {
      const settings = { ...DEFAULT_RATE_LIMITS, signInPerAccount: { points: 2, seconds: 900 } };
      const limits = backend === 'redis' ? new RateLimits(settings, redis, `{gh-test-${randomUUID()}}:`) : new RateLimits(settings);
      const store = createMemoryStore();
      const ctx = { limits, store };
      const fail = async () => limits.reserve([{ limiter: 'signInPerAccount', key: accountKey('alice', await signInGeneration(store, 'alice')) }]);
      expect(await accountSignInState(ctx, 'alice')).toEqual({ failures: 0, budget: 2, throttledForSeconds: undefined });
      await fail();
      expect(await accountSignInState(ctx, 'alice')).toEqual({ failures: 1, budget: 2, throttledForSeconds: undefined });
      expect(await accountSignInState(ctx, 'alice')).toEqual({ failures: 1, budget: 2, throttledForSeconds: undefined });
      await fail();
      expect((await fail()).limited).toMatchObject({ limiter: 'signInPerAccount' });
      const throttled = await accountSignInState(ctx, 'alice');
      expect(throttled).toMatchObject({ failures: 2, budget: 2 });
      expect(throttled.throttledForSeconds).toBeGreaterThan(890);
      expect(throttled.throttledForSeconds).toBeLessThanOrEqual(900);
      await startSignInGeneration(store, 'alice', Date.now(), 86_400_000);
      expect(await accountSignInState(ctx, 'alice')).toEqual({ failures: 0, budget: 2, throttledForSeconds: undefined });
    },
  );
});
