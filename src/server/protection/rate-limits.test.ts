/**
 * The rate limits when their store, Redis, fails: they fail closed (the request fails, 503), and
 * only what is counted in this process answers. A stand-in for the ioredis client whose every
 * command fails as a frozen Redis's do once the command timeout passes.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '../../stores/unavailable.js';
import { DEFAULT_RATE_LIMITS, RateLimits } from './rate-limits.js';

/**
 * An ioredis-like client on which every spend rejects, except the first `answered` ones, and
 * every give-back (a negative increment) never answers.
 */
function failingRedis(answered = 0) {
  const calls: string[] = [];
  let left = answered;
  const client: Record<string, unknown> = {
    status: 'ready',
    // rate-limiter-flexible registers its Lua increment on an ioredis client: [key, points, ...].
    defineCommand(name: string) {
      client[name] = (args: string[]) => {
        calls.push(`${name} ${args[1]}`);
        if (Number(args[1]) < 0) return new Promise(() => undefined);
        if (left > 0) {
          left -= 1;
          return Promise.resolve([1, 60_000]);
        }
        return Promise.reject(new Error('Command timed out'));
      };
    },
  };
  return { redis: client as unknown as Redis, calls };
}

describe('rate limits in Redis while Redis cannot answer', () => {
  it('fail closed: the spend rejects with the store error, which the server answers 503', async () => {
    const { redis } = failingRedis();
    const limits = new RateLimits(DEFAULT_RATE_LIMITS, redis);
    const refused = await limits.consume('requestsPerIp', '203.0.113.7').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect(isStoreUnavailable(refused)).toBe(true);
    await expect(limits.reserve([{ limiter: 'clientAuthPerClientIp', key: 'client|203.0.113.7' }])).rejects.toThrow('Command timed out');
  });

  it('answer at once when a spend fails, without waiting for the give-back of those that succeeded', async () => {
    const { redis, calls } = failingRedis(1);
    const limits = new RateLimits(DEFAULT_RATE_LIMITS, redis);
    await expect(
      limits.reserve([
        { limiter: 'codesPerUser', key: 'user' },
        { limiter: 'codesGlobal', key: 'all' },
      ]),
    ).rejects.toThrow('Command timed out');
    // The first spend went through and is being given back, which never answers.
    expect(calls).toEqual(['rlflxIncr 1', 'rlflxIncr 1', 'rlflxIncr -1']);
  });

  it('count what is served from memory in this process: no Redis call, the same budget', async () => {
    const { redis, calls } = failingRedis();
    const limits = new RateLimits({ ...DEFAULT_RATE_LIMITS, requestsPerIp: { points: 2, seconds: 60 } }, redis);
    expect(await limits.consumeInProcess('requestsPerIp', '203.0.113.7')).toBeUndefined();
    expect(await limits.consumeInProcess('requestsPerIp', '203.0.113.7')).toBeUndefined();
    expect(await limits.consumeInProcess('requestsPerIp', '203.0.113.7')).toMatchObject({ limiter: 'requestsPerIp', retryAfterSeconds: expect.any(Number) });
    expect(calls).toEqual([]);
  });

  it('without Redis, in-process and shared counting are one and the same', async () => {
    const limits = new RateLimits({ ...DEFAULT_RATE_LIMITS, requestsPerIp: { points: 2, seconds: 60 } });
    expect(await limits.consume('requestsPerIp', '203.0.113.7')).toBeUndefined();
    expect(await limits.consumeInProcess('requestsPerIp', '203.0.113.7')).toBeUndefined();
    expect(await limits.consume('requestsPerIp', '203.0.113.7')).toMatchObject({ limiter: 'requestsPerIp' });
  });
});
