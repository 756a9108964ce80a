/**
 * The hybrid store (memory for durable entities, Redis for artifacts) against the real Redis at
 * 127.0.0.1:6379 (REDIS_URL to override): the shared contract suite, then what only Redis has —
 * real key expiry, the key layout, atomicity across connections, Cluster prefixes and URLs.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.js';
import { StoreConflictError, type ArtifactRepository } from '../src/stores/contract.js';
import { createMemoryStore } from '../src/stores/memory/index.js';
import { connectRedis, createHybridStore, createRedisArtifactRepository, hasClusterHashTag } from '../src/stores/redis/index.js';
import { deleteKeysUnder, keysUnder, REDIS_URL } from './client/redis/redis-helpers.js';
import { FakeClock, T0 } from './helpers/fake-clock.js';
import { makeConsent } from './helpers/records.js';
import { describeStoreContract } from './store-contract.js';

/** A prefix of its own for each test, with a cluster hash tag as in production. */
const testPrefix = () => `{gatehouse-test:${randomUUID()}}:`;

const redis = new Redis(REDIS_URL);
/** Prefixes used outside the contract suite, removed after each test. */
const used: string[] = [];

afterEach(async () => {
  for (const prefix of used.splice(0)) await deleteKeysUnder(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

describeStoreContract('hybrid (memory + Redis)', async (clock) => {
  const prefix = testPrefix();
  const store = createHybridStore({ durable: createMemoryStore({ clock }), redis, prefix, clock });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await deleteKeysUnder(redis, prefix);
    },
  };
});

/** An artifact repository under a fresh prefix, removed after the test. */
function repository(clock: FakeClock): { artifacts: ArtifactRepository; prefix: string } {
  const prefix = testPrefix();
  used.push(prefix);
  return { artifacts: createRedisArtifactRepository({ redis, prefix, clock }), prefix };
}

/** Redis's own clock, milliseconds. */
async function redisNow(client: Redis = redis): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

const code = { kind: 'authorization_code', id: 'code-1', value: { sub: 'user-1' }, ownerId: 'g1', expiresAt: T0 + 60_000 };

describe('Redis artifacts: expiry', () => {
  it('gives every key a real PEXPIREAT: the time left by the store clock, counted on Redis’s clock', async () => {
    const clock = new FakeClock(T0);
    const { artifacts, prefix } = repository(clock);
    await artifacts.put(code);
    const now = await redisNow();
    const deadline = await redis.pexpiretime(`${prefix}a:authorization_code:code-1`);
    // T0 is long past: Redis must not be told to expire at T0 + 60 s, but 60 s from its now.
    expect(deadline).toBeGreaterThan(now + 58_000);
    expect(deadline).toBeLessThanOrEqual(now + 60_000);
    for (const index of [`${prefix}g:g1`, `${prefix}gk:authorization_code:g1`, `${prefix}expiry`]) {
      expect(await redis.pexpiretime(index)).toBe(deadline);
    }
  });

  it('index keys live as long as their longest-lived member, never shorter', async () => {
    const clock = new FakeClock(T0);
    const { artifacts, prefix } = repository(clock);
    await artifacts.put({ ...code, id: 'long', expiresAt: T0 + 120_000 });
    const longest = await redis.pexpiretime(`${prefix}a:authorization_code:long`);
    await artifacts.put({ ...code, id: 'short', expiresAt: T0 + 10_000 });
    expect(await redis.pexpiretime(`${prefix}a:authorization_code:short`)).toBeLessThan(longest - 100_000);
    for (const index of [`${prefix}g:g1`, `${prefix}gk:authorization_code:g1`, `${prefix}expiry`]) {
      expect(await redis.pexpiretime(index)).toBe(longest);
    }
    // A consume marks the hash without touching its expiry.
    await artifacts.consume('authorization_code', 'long', T0 + 1);
    expect(await redis.pexpiretime(`${prefix}a:authorization_code:long`)).toBe(longest);
  });

  it('Redis drops an artifact by itself when its time is up, and the owner index is tidied at the next put', async () => {
    const clock = new FakeClock(T0);
    const { artifacts, prefix } = repository(clock);
    const session = { kind: 'session', value: 1, ownerId: 'user:alice' };
    await artifacts.put({ ...session, id: 'old', expiresAt: T0 + 100 });
    await sleep(250);
    // The store clock has not moved: only Redis expiry can have removed it.
    expect(await redis.exists(`${prefix}a:session:old`)).toBe(0);
    expect(await artifacts.get('session', 'old')).toBeUndefined();

    clock.set(T0 + 1_000);
    await artifacts.put({ ...session, id: 'new', expiresAt: T0 + 60_000 });
    expect(await redis.zrange(`${prefix}gk:session:user:alice`, 0, -1)).toEqual(['new']);
    expect(await redis.smembers(`${prefix}g:user:alice`)).toEqual(['session:new']);
    expect((await artifacts.listByOwner('session', 'user:alice')).map((record) => record.id)).toEqual(['new']);
  });

  it('the store clock decides: a key Redis still holds is gone once expired by the clock', async () => {
    const clock = new FakeClock(T0);
    const { artifacts, prefix } = repository(clock);
    await artifacts.put(code);
    clock.set(code.expiresAt);
    expect(await redis.exists(`${prefix}a:authorization_code:code-1`)).toBe(1);
    expect(await artifacts.get('authorization_code', 'code-1')).toBeUndefined();
    expect(await artifacts.consume('authorization_code', 'code-1', clock.now())).toBeUndefined();
    expect(await artifacts.listByOwner('authorization_code', 'g1')).toEqual([]);
    // Expired by the clock, it no longer conflicts: a new put of the same id replaces it.
    await artifacts.put({ ...code, expiresAt: clock.now() + 1_000 });
    expect(await artifacts.get('authorization_code', 'code-1')).toBeDefined();
    await expect(artifacts.put(code)).rejects.toBeInstanceOf(StoreConflictError);
    clock.set(clock.now() + 1_000);
    await artifacts.purgeExpired(clock.now());
    expect(await keysUnder(redis, prefix)).toEqual([]);
  });

  it('does not write an artifact that is already expired by the store clock', async () => {
    const clock = new FakeClock(T0);
    const { artifacts, prefix } = repository(clock);
    await artifacts.put({ ...code, expiresAt: T0 });
    expect(await keysUnder(redis, prefix)).toEqual([]);
    expect(await artifacts.get('authorization_code', 'code-1')).toBeUndefined();
  });

  it('purgeExpired counts what expired by then, also what Redis had dropped already, once', async () => {
    const clock = new FakeClock(T0);
    const { artifacts, prefix } = repository(clock);
    await artifacts.put({ ...code, id: 'dropped-by-redis', expiresAt: T0 + 50 });
    await artifacts.put({ ...code, id: 'still-held', expiresAt: T0 + 5_000 });
    await artifacts.put({ ...code, id: 'live', expiresAt: T0 + 60_000 });
    await sleep(200);
    expect(await artifacts.purgeExpired(T0 + 5_000)).toBe(2);
    expect(await artifacts.purgeExpired(T0 + 5_000)).toBe(0);
    expect(await redis.zrange(`${prefix}expiry`, 0, -1)).toEqual(['authorization_code:live']);
    expect(await redis.exists(`${prefix}a:authorization_code:still-held`)).toBe(0);
    // What the purge deleted leaves the owner indexes with it; what Redis dropped by itself (its
    // owner no longer known) is tidied by the next put for that owner and kind.
    expect(await redis.smembers(`${prefix}g:g1`)).not.toContain('authorization_code:still-held');
    expect(await redis.zrange(`${prefix}gk:authorization_code:g1`, 0, -1)).not.toContain('still-held');
    clock.set(T0 + 5_000);
    await artifacts.put({ ...code, id: 'next', expiresAt: T0 + 60_000 });
    expect((await redis.smembers(`${prefix}g:g1`)).sort()).toEqual(['authorization_code:live', 'authorization_code:next']);
    expect(await redis.zrange(`${prefix}gk:authorization_code:g1`, 0, -1)).toEqual(['live', 'next']);
  });

  it('purgeExpired works through a backlog larger than one batch', async () => {
    const clock = new FakeClock(T0);
    const { artifacts } = repository(clock);
    const pipeline = Array.from({ length: 1_201 }, (_, i) =>
      artifacts.put({ kind: 'revoked_jti', id: `jti-${i}`, value: null, ownerId: null, expiresAt: T0 + 1_000 + (i % 7) }),
    );
    await Promise.all(pipeline);
    await artifacts.put({ kind: 'revoked_jti', id: 'later', value: null, ownerId: null, expiresAt: T0 + 60_000 });
    expect(await artifacts.purgeExpired(T0 + 2_000)).toBe(1_201);
    expect(await artifacts.get('revoked_jti', 'later')).toBeDefined();
  });
});

describe('Redis artifacts: keys', () => {
  it('writes only under its prefix, in the documented layout (a raw scan of a whole database)', async () => {
    // A database of its own, so other test files writing to database 0 meanwhile cannot interfere.
    const scratch = new Redis(REDIS_URL, { db: 13 });
    const prefix = testPrefix();
    try {
      const all = async () => {
        const found: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await scratch.scan(cursor, 'COUNT', 1000);
          found.push(...batch);
          cursor = next;
        } while (cursor !== '0');
        return new Set(found);
      };
      const before = await all();
      const clock = new FakeClock(T0);
      const artifacts = createRedisArtifactRepository({ redis: scratch, prefix, clock });
      await artifacts.put(code);
      await artifacts.put({ kind: 'session', id: 's-1', value: 'x', ownerId: 'g1', expiresAt: T0 + 1_000 });
      await artifacts.put({ kind: 'revoked_jti', id: 'jti-1', value: null, ownerId: null, expiresAt: T0 + 1_000 });
      await artifacts.consume('authorization_code', 'code-1', T0 + 5);
      await artifacts.listByOwner('session', 'g1');

      const added = [...(await all())].filter((key) => !before.has(key));
      expect(added.every((key) => key.startsWith(prefix))).toBe(true);
      expect(added.map((key) => key.slice(prefix.length)).sort()).toEqual([
        'a:authorization_code:code-1',
        'a:revoked_jti:jti-1',
        'a:session:s-1',
        'expiry',
        'g:g1',
        'gk:authorization_code:g1',
        'gk:session:g1',
      ]);
      expect(await scratch.hgetall(`${prefix}a:authorization_code:code-1`)).toEqual({
        v: JSON.stringify(code.value),
        e: String(code.expiresAt),
        g: 'g1',
        c: String(T0 + 5),
      });
      expect(await scratch.hgetall(`${prefix}a:revoked_jti:jti-1`)).toEqual({ v: 'null', e: String(T0 + 1_000) });
      expect((await scratch.smembers(`${prefix}g:g1`)).sort()).toEqual(['authorization_code:code-1', 'session:s-1']);
      expect(await scratch.zrange(`${prefix}gk:session:g1`, 0, -1, 'WITHSCORES')).toEqual(['s-1', String(T0 + 1_000)]);
    } finally {
      await deleteKeysUnder(scratch, prefix);
      await scratch.quit();
    }
  });

  it('keeps kinds containing ":" or "%" apart from ids containing them', async () => {
    const clock = new FakeClock(T0);
    const { artifacts } = repository(clock);
    const base = { value: 1, ownerId: 'g:1', expiresAt: T0 + 1_000 };
    await artifacts.put({ ...base, kind: 'a:b', id: 'c' });
    await artifacts.put({ ...base, kind: 'a', id: 'b:c', value: 2 });
    await artifacts.put({ ...base, kind: 'a%3Ab', id: 'c', value: 3 });
    expect((await artifacts.get('a:b', 'c'))!.value).toBe(1);
    expect((await artifacts.get('a', 'b:c'))!.value).toBe(2);
    expect((await artifacts.get('a%3Ab', 'c'))!.value).toBe(3);
    expect((await artifacts.listByOwner('a:b', 'g:1')).map((record) => record.value)).toEqual([1]);
    expect(await artifacts.delete('a:b', 'c')).toBe(true);
    expect(await artifacts.get('a%3Ab', 'c')).toBeDefined();
    expect(await artifacts.deleteByOwner('g:1')).toBe(2);
    expect(await artifacts.get('a', 'b:c')).toBeUndefined();
  });

  it('works with an ioredis keyPrefix: keys a script derives get it too', async () => {
    const prefixed = new Redis(REDIS_URL, { keyPrefix: 'app:' });
    try {
      const clock = new FakeClock(T0);
      const prefix = testPrefix();
      const artifacts = createRedisArtifactRepository({ redis: prefixed, prefix, clock });
      await artifacts.put(code);
      await artifacts.put({ ...code, kind: 'session', id: 's-1' });
      expect((await keysUnder(redis, `app:${prefix}`)).length).toBe(6);
      expect((await artifacts.listByOwner('session', 'g1')).map((record) => record.id)).toEqual(['s-1']);
      expect(await artifacts.delete('session', 's-1')).toBe(true);
      expect(await redis.smembers(`app:${prefix}g:g1`)).toEqual(['authorization_code:code-1']);
      expect(await artifacts.deleteByOwner('g1')).toBe(1);
      expect(await keysUnder(redis, `app:${prefix}`)).toEqual([]);
    } finally {
      await prefixed.quit();
    }
  });

  it('a reused id under another owner is neither listed nor deleted through the old owner', async () => {
    const clock = new FakeClock(T0);
    const { artifacts } = repository(clock);
    await artifacts.put({ ...code, kind: 'session', id: 's-1', ownerId: 'g1' });
    // Deleted without its indexes, as an expiry in Redis would.
    expect(await artifacts.delete('session', 's-1')).toBe(true);
    await artifacts.put({ ...code, kind: 'session', id: 's-1', ownerId: 'g2' });
    expect(await artifacts.listByOwner('session', 'g1')).toEqual([]);
    expect(await artifacts.deleteByOwner('g1')).toBe(0);
    expect((await artifacts.get('session', 's-1'))!.ownerId).toBe('g2');
  });
});

describe('Redis artifacts: atomicity across connections', () => {
  const connections: Redis[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i += 1) connections.push(new Redis(REDIS_URL));
    await Promise.all(connections.map((connection) => connection.ping()));
  });

  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.quit()));
  });

  /** One repository per connection, all on one prefix: five application instances. */
  function instances(clock: FakeClock): ArtifactRepository[] {
    const prefix = testPrefix();
    used.push(prefix);
    return connections.map((connection) => createRedisArtifactRepository({ redis: connection, prefix, clock }));
  }

  it('50 consumes of one code from 5 connections at once: exactly one wins', async () => {
    const clock = new FakeClock(T0);
    const repositories = instances(clock);
    await repositories[0]!.put(code);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => repositories[i % 5]!.consume('authorization_code', 'code-1', T0 + i)));
    const winners = results.filter((result) => result !== undefined);
    expect(winners).toHaveLength(1);
    expect(await repositories[3]!.get('authorization_code', 'code-1')).toEqual(winners[0]);
  });

  it('20 puts of one id from 5 connections at once: exactly one succeeds, the rest conflict', async () => {
    const clock = new FakeClock(T0);
    const repositories = instances(clock);
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => repositories[i % 5]!.put({ ...code, value: i })));
    const succeeded = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
    expect(succeeded).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect((result.reason as StoreConflictError).field).toBe('id');
    }
    expect((await repositories[0]!.get('authorization_code', 'code-1'))!.value).toBe(succeeded[0]);
  });

  it('consumes racing a deleteByOwner: no artifact outlives the sweep, no consume sees half of it', async () => {
    const clock = new FakeClock(T0);
    const repositories = instances(clock);
    for (let i = 0; i < 20; i += 1) await repositories[0]!.put({ ...code, kind: 'refresh_token', id: `rt-${i}` });
    const [deleted, ...consumed] = await Promise.all([
      repositories[1]!.deleteByOwner('g1'),
      ...Array.from({ length: 20 }, (_, i) => repositories[(i % 4) + 1]!.consume('refresh_token', `rt-${i}`, T0 + 1)),
    ]);
    expect(deleted).toBe(20);
    for (const record of consumed) if (record !== undefined) expect(record.consumedAt).toBe(T0 + 1);
    expect(await repositories[2]!.listByOwner('refresh_token', 'g1')).toEqual([]);
  });
});

describe('hybrid store', () => {
  it('revoke sweeps the consent’s artifacts in Redis on every call, so a retry finishes a failed sweep', async () => {
    const clock = new FakeClock(T0);
    const prefix = testPrefix();
    used.push(prefix);
    const store = createHybridStore({ durable: createMemoryStore({ clock }), redis, prefix, clock });
    await store.consents.create(makeConsent({ id: 'g1' }));
    await store.artifacts.put(code);
    expect(await store.consents.revoke('g1', T0 + 1)).toBe(true);
    expect(await store.artifacts.get('authorization_code', 'code-1')).toBeUndefined();
    // As if the first sweep had not happened.
    await store.artifacts.put({ ...code, id: 'straggler' });
    expect(await store.consents.revoke('g1', T0 + 2)).toBe(false);
    expect(await store.artifacts.get('authorization_code', 'straggler')).toBeUndefined();
    expect((await store.consents.get('g1'))!.revokedAt).toBe(T0 + 1);
  });

  it('close leaves the caller’s Redis connection open', async () => {
    const store = createHybridStore({ durable: createMemoryStore(), redis, prefix: testPrefix() });
    await store.close();
    expect(await redis.ping()).toBe('PONG');
  });

  it('ping rejects when Redis does not answer', async () => {
    const down = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      const store = createHybridStore({ durable: createMemoryStore(), redis: down });
      await expect(store.ping()).rejects.toThrow();
    } finally {
      down.disconnect();
    }
  });

  it('rejects bad options with a ConfigError naming the option', () => {
    const cases: [() => unknown, string][] = [
      [() => createHybridStore({ durable: undefined as never, redis }), 'durable'],
      [() => createHybridStore({ durable: createMemoryStore(), redis: 'redis://localhost' as never }), 'redis'],
      [() => createHybridStore({ durable: createMemoryStore(), redis, prefix: 42 as never }), 'prefix'],
      [() => createHybridStore({ durable: createMemoryStore(), redis, clock: {} as never }), 'clock'],
    ];
    for (const [make, option] of cases) {
      expect(make).toThrow(ConfigError);
      try {
        make();
      } catch (error) {
        expect((error as ConfigError).option).toBe(option);
      }
    }
  });
});

describe('Redis Cluster prefixes', () => {
  it('recognises a hash tag only when it is complete and non-empty, inside the prefix', () => {
    expect(hasClusterHashTag('{gatehouse}:')).toBe(true);
    expect(hasClusterHashTag('app:{gh}:')).toBe(true);
    expect(hasClusterHashTag('gatehouse:')).toBe(false);
    expect(hasClusterHashTag('{}gatehouse:')).toBe(false);
    expect(hasClusterHashTag('{gatehouse:')).toBe(false);
    expect(hasClusterHashTag('gate}{house}:')).toBe(true);
  });

  it('a Cluster client needs a hash tag in the prefix; the default has one', () => {
    const cluster = connectRedis('redis+cluster://127.0.0.1:7000', { lazyConnect: true }) as Cluster;
    try {
      expect(() => createRedisArtifactRepository({ redis: cluster, prefix: 'gatehouse:' })).toThrow(ConfigError);
      expect(() => createRedisArtifactRepository({ redis: cluster })).not.toThrow();
      expect(() => createRedisArtifactRepository({ redis: cluster, prefix: 'tenant-a:{gh}:' })).not.toThrow();
    } finally {
      cluster.disconnect();
    }
  });
});

describe('connectRedis', () => {
  const opened: (Redis | Cluster)[] = [];
  const connect = (url: string) => {
    const client = connectRedis(url, { lazyConnect: true });
    opened.push(client);
    return client;
  };

  afterAll(() => {
    for (const client of opened) client.disconnect();
  });

  it('standalone: redis:// and rediss://, credentials and database from the URL', () => {
    const plain = connect('redis://app:p%40ss@redis.internal:6380/2') as Redis;
    expect(plain).toBeInstanceOf(Redis);
    expect(plain.options).toMatchObject({ host: 'redis.internal', port: 6380, username: 'app', password: 'p@ss', db: 2, lazyConnect: true });
    expect(plain.options.tls).toBeUndefined();
    expect(plain.status).toBe('wait');
    const secure = connect('rediss://:secret@redis.example.com') as Redis;
    expect(secure.options).toMatchObject({ host: 'redis.example.com', port: 6379, password: 'secret' });
    expect(secure.options.tls).toBeDefined();
  });

  it('Sentinel: the Sentinels, the master name, credentials and database', () => {
    const client = connect('redis+sentinel://:s3cret@sentinel-a:26380,sentinel-b,[::1]:26381/my%20master/3?sentinelPassword=sp') as Redis;
    expect(client).toBeInstanceOf(Redis);
    expect(client.options).toMatchObject({
      sentinels: [
        { host: 'sentinel-a', port: 26380 },
        { host: 'sentinel-b', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      name: 'my master',
      password: 's3cret',
      sentinelPassword: 'sp',
      db: 3,
      lazyConnect: true,
    });
    expect(client.options.tls).toBeUndefined();
    const secure = connect('rediss+sentinel://sentinel-a/mymaster') as Redis;
    expect(secure.options).toMatchObject({ name: 'mymaster', enableTLSForSentinelMode: true });
    expect(secure.options.tls).toBeDefined();
  });

  it('Cluster: the seed nodes and the credentials every node gets', () => {
    const client = connect('redis+cluster://app:pw@node-a:7000,node-b,10.0.0.3:7002') as Cluster;
    expect(client).toBeInstanceOf(Cluster);
    expect(client.isCluster).toBe(true);
    expect((client as unknown as { startupNodes: unknown }).startupNodes).toEqual([
      { host: 'node-a', port: 7000 },
      { host: 'node-b', port: 6379 },
      { host: '10.0.0.3', port: 7002 },
    ]);
    expect(client.options.redisOptions).toMatchObject({ username: 'app', password: 'pw' });
    expect(client.options.lazyConnect).toBe(true);
    expect(client.status).toBe('wait');
    const secure = connect('rediss+cluster://node-a:7000/') as Cluster;
    expect(secure.options.redisOptions?.tls).toBeDefined();
  });

  it('rejects other forms with a ConfigError on "url" that does not repeat the URL', () => {
    for (const url of [
      'http://user:hunter2@redis:6379',
      'redis+sentinel://user:hunter2@sentinel-a:26379',
      'redis+sentinel://user:hunter2@sentinel-a:26379/mymaster/x',
      'redis+sentinel://user:hunter2@sentinel-a:26379/mymaster?password=hunter2',
      'redis+cluster://user:hunter2@node-a:7000/1',
      'redis+cluster://user:hunter2@node-a:70000',
      'redis+cluster://user:hunter2@',
      'redis+cluster://user:hunter2@node-a:7000?db=1',
      'redis://user:hunter2@[bad',
    ]) {
      let thrown: unknown;
      try {
        opened.push(connectRedis(url, { lazyConnect: true }));
      } catch (error) {
        thrown = error;
      }
      expect(thrown, url).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).option).toBe('url');
      expect((thrown as ConfigError).message).not.toContain('hunter2');
    }
  });
});
