/**
 * The client-side deadlines of the stores against a frozen dependency: PostgreSQL (127.0.0.1:5432)
 * and Redis (127.0.0.1:6379) behind a fault proxy that freezes them (connections stay open, nothing
 * moves: a stalled network, a paused process, a failover in progress). The shared servers are
 * never touched themselves. A call must fail within its deadline, as an outage the server answers
 * with 503, a stuck PostgreSQL connection must be closed rather than reused, nothing may be sent
 * twice to Redis, and both must serve again as soon as the freeze ends.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../scripts/lib/fault-proxy.mjs';
import type { Store } from '../src/stores/contract.js';
import { openPostgresStore } from '../src/stores/postgres/postgres-store.js';
import { connectRedis } from '../src/stores/redis/index.js';
import { isStoreUnavailable } from '../src/stores/unavailable.js';
import { REDIS_URL } from './client/redis/redis-helpers.js';
import { dropSchema, POSTGRES_URL, postgresUnavailable, uniqueSchema } from './helpers/postgres.js';

// CI starts PostgreSQL and Redis, so there an unreachable server is a failure, never a skip.
const noPostgres = process.env.CI ? undefined : await postgresUnavailable();

/** Generous on a loaded two-core machine, yet far below the freezes below (a hang outlasts them). */
const SLACK_MS = 700;

/** How long `work` took to settle, and how. */
async function timed(work: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await work();
    return { ms: Date.now() - started, error: undefined };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(noPostgres)('PostgreSQL frozen', () => {
  const QUERY_TIMEOUT_MS = 1000;
  const CONNECTION_TIMEOUT_MS = 800;
  const schema = uniqueSchema();
  let proxy: FaultProxy;
  let store: Store;
  let pool: Pool;

  beforeAll(async () => {
    const target = new URL(POSTGRES_URL);
    proxy = await FaultProxy.open({ host: target.hostname, port: Number(target.port || 5432) });
    const url = new URL(POSTGRES_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    ({ store, pool } = openPostgresStore({
      connectionString: url.href,
      schema,
      poolSize: 2,
      queryTimeoutMs: QUERY_TIMEOUT_MS,
      connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
    }));
    await store.migrate();
  });

  afterEach(() => proxy.thaw());

  afterAll(async () => {
    await store?.close();
    await proxy?.close();
    await dropSchema(schema);
  });

  it('fails the queries of connections already taken within the query timeout, closes those connections, and serves once thawed', async () => {
    // Both pooled connections open and idle: the calls below take them without asking the server.
    await Promise.all([store.users.get('nobody'), store.clients.list()]);
    expect(pool.idleCount).toBe(2);

    proxy.freeze();
    // A prepared statement through pg.Pool#query, and a Kysely query on a checked-out connection.
    const [statement, kysely] = await Promise.all([timed(() => store.users.get('nobody')), timed(() => store.clients.list())]);
    for (const outcome of [statement, kysely]) {
      expect(isStoreUnavailable(outcome.error), String(outcome.error)).toBe(true);
      expect(outcome.ms).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS - 50);
      expect(outcome.ms).toBeLessThan(QUERY_TIMEOUT_MS + SLACK_MS);
    }
    // Closed, not given back: neither is in the pool for the next request to wait on.
    expect(pool.totalCount).toBe(0);

    // A new connection cannot start while frozen: it fails within the connection timeout.
    const opening = await timed(() => store.users.get('nobody'));
    expect(isStoreUnavailable(opening.error), String(opening.error)).toBe(true);
    expect(opening.ms).toBeLessThan(CONNECTION_TIMEOUT_MS + SLACK_MS);

    proxy.thaw();
    const after = await timed(() => Promise.all([store.users.get('nobody'), store.clients.list()]));
    expect(after.error).toBeUndefined();
    expect(after.ms).toBeLessThan(SLACK_MS);
  });

  it('a transaction whose statement timed out fails at once after it, rollback included', async () => {
    await store.clients.list();
    proxy.freeze();
    // Revoking a consent runs in a transaction (Kysely): the rollback goes to the closed connection.
    const revoke = await timed(() => store.consents.revoke(randomUUID(), Date.now()));
    expect(isStoreUnavailable(revoke.error), String(revoke.error)).toBe(true);
    expect(revoke.ms).toBeLessThan(QUERY_TIMEOUT_MS + SLACK_MS);
  });
});

describe('Redis frozen', () => {
  const COMMAND_TIMEOUT_MS = 300;
  const prefix = `{gatehouse-deadlines:${randomUUID()}}:`;
  let proxy: FaultProxy;
  let redis: Redis;
  let direct: Redis;

  beforeAll(async () => {
    const target = new URL(REDIS_URL);
    proxy = await FaultProxy.open({ host: target.hostname, port: Number(target.port || 6379) });
    redis = connectRedis(`redis://127.0.0.1:${proxy.port}`, { failFast: true, commandTimeoutMs: COMMAND_TIMEOUT_MS }) as Redis;
    redis.on('error', () => undefined);
    direct = connectRedis(REDIS_URL) as Redis;
    // Fail-fast refuses commands until connected, as the command's start waits for it.
    await new Promise((ready) => redis.once('ready', ready));
    await Promise.all([redis.ping(), direct.ping()]);
  });

  afterAll(async () => {
    proxy?.thaw();
    await direct?.del(`${prefix}counter`);
    redis?.disconnect();
    direct?.disconnect();
    await proxy?.close();
  });

  it('fails each command within the command timeout, runs none twice, and serves within a second of the thaw', async () => {
    proxy.freeze();
    const incr = await timed(() => redis.incr(`${prefix}counter`));
    expect(incr.error).toMatchObject({ message: 'Command timed out' });
    expect(isStoreUnavailable(incr.error)).toBe(true);
    expect(incr.ms).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);

    // Silent for three command timeouts: the connection is dropped and opened again (still frozen).
    await sleep(6 * COMMAND_TIMEOUT_MS);
    const later = await timed(() => redis.get(`${prefix}counter`));
    expect(isStoreUnavailable(later.error), String(later.error)).toBe(true);
    expect(later.ms).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);

    const thawed = Date.now();
    proxy.thaw();
    let back: number | undefined;
    while (back === undefined && Date.now() - thawed < 5000) {
      const answered = await redis.get(`${prefix}counter`).then(
        () => true,
        () => false,
      );
      if (answered) back = Date.now() - thawed;
      else await sleep(50);
    }
    expect(back, 'Redis answers again').toBeDefined();
    expect(back).toBeLessThan(1000 + SLACK_MS);
    // And stays up: no timer of a connection closed during the freeze takes the new one down.
    let closed = 0;
    redis.on('close', () => (closed += 1));
    for (let round = 0; round < 10; round += 1) {
      await redis.get(`${prefix}counter`);
      await sleep(COMMAND_TIMEOUT_MS);
    }
    expect(closed, 'connections closed after the service came back').toBe(0);
    // The increment reached Redis once, when the freeze ended (a timeout cannot take back bytes
    // already sent), and was not sent again on the new connection.
    await sleep(200);
    expect(await direct.get(`${prefix}counter`)).toBe('1');
  });
});
