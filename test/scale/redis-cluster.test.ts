/**
 * Redis Cluster, run for real: three primaries of this file (test/helpers/redis-topologies.ts),
 * reached as `redis+cluster://…` through `connectRedis`, with PostgreSQL for what is durable. The
 * store contract suite on the hybrid store, then the scale-out scenarios (three `gatehouse start`
 * instances), and a check that every key a store writes shares the prefix's hash slot (the Lua
 * scripts touch several keys at once, which a cluster allows within one slot only).
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { connectRedis, createHybridStore } from '../../src/stores/redis/index.js';
import { isStoreUnavailable } from '../../src/stores/unavailable.js';
import { describeHybridStoreContract } from '../helpers/backends.js';
import { scanKeys, startRedisCluster, type RedisClusterSet } from '../helpers/redis-topologies.js';
import { globLiteral } from '../helpers/scale.js';
import { describeMultiInstance } from './multi-instance-scenarios.js';

let cluster: RedisClusterSet;
/** The client the contract suite's stores share, as an instance's stores share one. */
let redis: Redis | Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
  redis = connectRedis(cluster.url, { failFast: true });
  redis.on('error', () => undefined);
  await new Promise((resolve) => redis.once('ready', resolve));
}, 60_000);

afterAll(async () => {
  await redis?.quit().catch(() => redis.disconnect());
  await cluster?.stop();
});

describe('PostgreSQL + Redis Cluster', () => {
  describeHybridStoreContract('hybrid (PostgreSQL + Redis Cluster)', () => redis);

  it('keeps every key of a store in the one slot of its prefix, on one primary', async () => {
    const prefix = `{gatehouse-slot:${randomUUID()}}:`;
    const store = createHybridStore({ durable: createMemoryStore(), redis, prefix });
    const expiresAt = Date.now() + 60_000;
    for (let i = 0; i < 20; i += 1) {
      await store.artifacts.put({ kind: i % 2 === 0 ? 'refresh_token' : 'session', id: `id-${i}`, value: { i }, ownerId: `owner-${i % 3}`, expiresAt });
    }
    await store.artifacts.consume('refresh_token', 'id-0', Date.now());
    expect(await store.artifacts.deleteByOwner('owner-1')).toBeGreaterThan(0);
    await store.artifacts.purgeExpired(Date.now());

    const keys = await scanKeys(cluster.nodes, `${globLiteral(prefix)}*`);
    // The 13 artifacts left, and their owner and expiry indexes.
    expect(keys.length).toBeGreaterThan(13);
    const slots = new Set(await Promise.all(keys.map((key) => redis.cluster('KEYSLOT', key))));
    expect(slots).toEqual(new Set([await redis.cluster('KEYSLOT', prefix)]));
    const holders = await Promise.all(cluster.nodes.map(async (node) => (await scanKeys([node], `${globLiteral(prefix)}*`)).length));
    expect(holders.filter((count) => count > 0)).toEqual([keys.length]);
    await store.close();
  });
});

describeMultiInstance('three instances over one PostgreSQL and Redis Cluster', {
  url: () => cluster.url,
  keys: (pattern) => scanKeys(cluster.nodes, pattern),
});

// Last: it takes a node down and brings it back (empty: the cluster runs without persistence).
describe('Redis Cluster: the node holding the prefix restarted', () => {
  it('fails every call as "unavailable" (503) while the node is down and until its slots are served again, then serves', async () => {
    const prefix = `{gatehouse-restart:${randomUUID()}}:`;
    const store = createHybridStore({ durable: createMemoryStore(), redis, prefix });
    const artifact = (id: string) => ({ kind: 'session', id, value: { id }, ownerId: 'owner', expiresAt: Date.now() + 60_000 });
    await store.artifacts.put(artifact('before'));
    const slot = await redis.cluster('KEYSLOT', prefix);
    const ranges = (await redis.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
    const holder = cluster.nodes.find((node) => node.port === ranges.find(([first, last]) => slot >= first && slot <= last)![2][1])!;

    const errors: unknown[] = [];
    const attempt = async (id: string): Promise<boolean> => {
      try {
        await store.artifacts.put(artifact(id));
        return (await store.artifacts.get('session', id)) !== undefined;
      } catch (error) {
        errors.push(error);
        return false;
      }
    };
    await holder.stop();
    for (let i = 0; i < 3; i += 1) expect(await attempt(`down-${i}`)).toBe(false);
    const restarted = Date.now();
    await holder.start();
    let back = false;
    for (let i = 0; !back && Date.now() - restarted < 20_000; i += 1) {
      back = await attempt(`up-${i}`);
      if (!back) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.info(
      `Redis Cluster node restarted: served again ${Date.now() - restarted} ms after its start; ${errors.length} calls failed before (${[...new Set(errors.map((error) => String(error).slice(0, 80)))].join('; ')})`,
    );
    expect(back).toBe(true);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors.filter((error) => !isStoreUnavailable(error)).map(String)).toEqual([]);
    await store.close();
  }, 40_000);
});
