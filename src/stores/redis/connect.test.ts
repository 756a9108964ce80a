/**
 * The deadlines `connectRedis` gives every connection, read from the options ioredis was given
 * (lazy clients: nothing connects). What they do against a frozen Redis is tested in
 * test/stores-deadlines.test.ts and test/scale/freeze.test.ts.
 */
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { connectRedis, DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from './connect.js';

const opened: (Redis | Cluster)[] = [];
const connect = (url: string, options: Parameters<typeof connectRedis>[1] = {}) => {
  const client = connectRedis(url, { lazyConnect: true, ...options });
  opened.push(client);
  return client;
};

afterAll(() => {
  for (const client of opened) client.disconnect();
});

const deadlines = (commandTimeout: number) => ({
  commandTimeout,
  socketTimeout: 3 * commandTimeout,
  autoResendUnfulfilledCommands: false,
});

describe('connectRedis: a deadline on every command', () => {
  it('standalone: a 1 s command timeout, a silent connection replaced after 3 s, nothing sent twice', () => {
    const { options } = connect('redis://127.0.0.1:6379') as Redis;
    expect(DEFAULT_REDIS_COMMAND_TIMEOUT_MS).toBe(1000);
    expect(options).toMatchObject({ ...deadlines(1000), connectTimeout: 2000 });
  });

  it('reconnects at most 1 s apart, for ever', () => {
    const retry = (connect('redis://127.0.0.1:6379') as Redis).options.retryStrategy!;
    expect([1, 2, 5, 6, 1000].map((attempt) => retry(attempt))).toEqual([200, 400, 1000, 1000, 1000]);
  });

  it('failFast: no offline queue, one retry; the deadlines as without', () => {
    const { options } = connect('redis://127.0.0.1:6379', { failFast: true, commandTimeoutMs: 250 }) as Redis;
    expect(options).toMatchObject({ ...deadlines(250), enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  });

  it('Sentinel: the same deadlines, and for the questions to the Sentinels', () => {
    const { options } = connect('redis+sentinel://sentinel-a:26379/mymaster', { commandTimeoutMs: 500 }) as Redis;
    expect(options).toMatchObject({ ...deadlines(500), sentinelCommandTimeout: 500 });
    expect((options as RedisOptions & { sentinelRetryStrategy: (attempt: number) => number }).sentinelRetryStrategy(20)).toBe(1000);
  });

  it("Cluster: every node's connection has them; the slot map is refreshed within one", () => {
    const cluster = connect('redis+cluster://node-a:7000,node-b:7001', { failFast: true, commandTimeoutMs: 800 }) as Cluster;
    expect(cluster.options.redisOptions).toMatchObject({ ...deadlines(800), maxRetriesPerRequest: 1 });
    expect(cluster.options).toMatchObject({ enableOfflineQueue: false, slotsRefreshTimeout: 800 });
    expect(cluster.options.clusterRetryStrategy!(50)).toBe(1000);
  });

  it.each([0, -5, 1.5, Number.NaN])('refuses a command timeout of %j, naming the option', (commandTimeoutMs) => {
    expect(() => connectRedis('redis://127.0.0.1:6379', { lazyConnect: true, commandTimeoutMs })).toThrow(ConfigError);
    expect(() => connectRedis('redis://127.0.0.1:6379', { lazyConnect: true, commandTimeoutMs })).toThrow(
      'option "commandTimeoutMs" must be a positive whole number of milliseconds',
    );
  });
});

describe('clearStaleSocketTimers', () => {
  it("stops a closed connection's socket timer, which ioredis keeps on the client", () => {
    const client = connect('redis://127.0.0.1:6379') as Redis;
    const state = client as unknown as { socketTimeoutTimer?: NodeJS.Timeout };
    let fired = false;
    state.socketTimeoutTimer = setTimeout(() => (fired = true), 10_000);
    client.emit('close');
    expect(state.socketTimeoutTimer).toBeUndefined();
    expect(fired).toBe(false);
  });
});
