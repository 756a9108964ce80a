/**
 * Redis Sentinel, run for real: a primary, a replica and three sentinels of this file
 * (test/helpers/redis-topologies.ts), reached as `redis+sentinel://…/mymaster` through
 * `connectRedis`, with PostgreSQL for what is durable. The store contract suite on the hybrid
 * store, then the scale-out scenarios (three `gatehouse start` instances). Failing the primary over
 * under load is redis-sentinel-failover.test.ts.
 */
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { connectRedis } from '../../src/stores/redis/index.js';
import { describeHybridStoreContract } from '../helpers/backends.js';
import { scanKeys, startSentinelSet, type SentinelSet } from '../helpers/redis-topologies.js';
import { describeMultiInstance } from './multi-instance-scenarios.js';

let sentinel: SentinelSet;
/** The client the contract suite's stores share, as an instance's stores share one. */
let redis: Redis | Cluster;

beforeAll(async () => {
  sentinel = await startSentinelSet();
  redis = connectRedis(sentinel.url, { failFast: true });
  redis.on('error', () => undefined);
}, 60_000);

afterAll(async () => {
  await redis?.quit().catch(() => redis.disconnect());
  await sentinel?.stop();
});

describe('PostgreSQL + Redis Sentinel', () => {
  describeHybridStoreContract('hybrid (PostgreSQL + Redis Sentinel)', () => redis);
});

describeMultiInstance('three instances over one PostgreSQL and Redis Sentinel', {
  url: () => sentinel.url,
  keys: async (pattern) => {
    const primary = await sentinel.primaryPort();
    return scanKeys(
      sentinel.nodes.filter((node) => node.port === primary),
      pattern,
    );
  },
});
