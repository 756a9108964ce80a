/**
 * The Redis introspection cache against the real Redis at 127.0.0.1:6379 (REDIS_URL to override):
 * shared by two guard instances (two API processes), keyed by a hash of the token, and expiring
 * with the answer — never past the token's `exp`.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisIntrospectionCache, createResourceGuard, type ResourceGuard } from '../../src/resource/index.js';
import { deleteKeysUnder, keysUnder, REDIS_URL, uniquePrefix } from '../client/redis/redis-helpers.js';
import { API, countingFetch, expectBearerError, answer, partsOf, startIssuer, type CountingFetch, type RunningIssuer } from './support.js';

const PREFIX = uniquePrefix('resource-introspection');
let as: RunningIssuer;
const connections: Redis[] = [];

beforeAll(async () => {
  as = await startIssuer();
});

afterAll(async () => {
  const cleaner = new Redis(REDIS_URL);
  await deleteKeysUnder(cleaner, PREFIX);
  await Promise.all([cleaner, ...connections].map((redis) => redis.quit()));
  await as?.close();
});

/** A guard instance as a separate API process would build it: its own Redis connection, the shared prefix. */
function apiInstance(net: CountingFetch, maxCacheAge: number): ResourceGuard {
  const redis = new Redis(REDIS_URL);
  connections.push(redis);
  return createResourceGuard({
    issuer: as.issuer,
    audience: API,
    fetch: net.fetch,
    allowInsecureRequests: true,
    introspection: {
      clientId: as.resourceServer.clientId,
      clientSecret: as.resourceServer.clientSecret,
      cache: createRedisIntrospectionCache(redis, { prefix: PREFIX }),
      maxCacheAge,
    },
  });
}

describe('Redis introspection cache', () => {
  it('is shared: the second API instance makes no introspection call', async () => {
    const net = countingFetch();
    const first = apiInstance(net, 60);
    const second = apiInstance(net, 60);
    const token = await as.token('notes:read');

    expect((await first.verify(token)).sub).toBe(as.machine.clientId);
    expect(net.count('/introspect')).toBe(1);
    const verified = await second.verify(token);
    expect(verified).toMatchObject({ sub: as.machine.clientId, clientId: as.machine.clientId, scopes: ['notes:read'] });
    expect(net.count('/introspect')).toBe(1);
    // The cached answer still goes through the route's scope check.
    await expectBearerError(await answer(second, token, { scopes: ['notes:write'] }), 403, 'insufficient_scope');
    expect(net.count('/introspect')).toBe(1);
  });

  it('stores a hash of the token, never the token, with a TTL of at most maxCacheAge', async () => {
    const redis = new Redis(REDIS_URL);
    connections.push(redis);
    const before = new Set(await keysUnder(redis, PREFIX));
    const guard = apiInstance(countingFetch(), 60);
    const token = await as.token('notes:read');
    await guard.verify(token);
    const added = (await keysUnder(redis, PREFIX)).filter((key) => !before.has(key));
    expect(added).toHaveLength(1);
    expect(added[0]).not.toContain(token);
    expect(await redis.get(added[0]!)).not.toContain(token);
    const ttl = await redis.pttl(added[0]!);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("expires an entry at the token's exp when maxCacheAge is longer", async () => {
    const redis = new Redis(REDIS_URL);
    connections.push(redis);
    const before = new Set(await keysUnder(redis, PREFIX));
    const guard = apiInstance(countingFetch(), 86_400);
    const token = await as.token('notes:read');
    await guard.verify(token);
    const [key] = (await keysUnder(redis, PREFIX)).filter((candidate) => !before.has(candidate));
    const exp = partsOf(token).claims.exp as number;
    expect(await redis.pttl(key!)).toBeLessThanOrEqual(exp * 1000 - Date.now() + 50);
  });

  it('shares a revocation once the entry is over, for every instance', async () => {
    const net = countingFetch();
    const first = apiInstance(net, 1);
    const second = apiInstance(net, 1);
    const token = await as.token('notes:read');
    await first.verify(token);
    await as.revoke(token);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expectBearerError(await answer(second, token), 401, 'invalid_token');
    // The "inactive" answer the second instance got is shared as well.
    await expectBearerError(await answer(first, token), 401, 'invalid_token');
    expect(net.count('/introspect')).toBe(2);
  });
});
