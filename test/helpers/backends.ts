/**
 * The stores a server runs on, for tests that must hold on each: memory, SQLite (a file), and the
 * production combination, PostgreSQL + Redis (artifacts and rate-limit counters in Redis). Each
 * opens on its own schema / key prefix and cleans up after itself. Also the store contract suite on
 * that combination, over any Redis topology ({@link describeHybridStoreContract}).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type Cluster } from 'ioredis';
import { afterAll } from 'vitest';
import type { Store } from '../../src/stores/contract.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createHybridStore } from '../../src/stores/redis/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { deleteKeysUnder, REDIS_URL } from '../client/redis/redis-helpers.js';
import type { FakeClock } from './fake-clock.js';
import { describeStoreContract } from '../store-contract.js';
import { dropSchema, POSTGRES_URL, postgresUnavailable, ReusedSchemas, uniqueSchema } from './postgres.js';
import type { TestServerOptions } from './server.js';

/** An opened backend: the store (migrated), server options that put rate limits where production does, and cleanup. */
export interface OpenedBackend {
  store: Store;
  /** `protection` options for the server (Redis counters on the production combination). */
  serverOptions: Pick<TestServerOptions, 'protection'>;
  close: () => Promise<void>;
}

export interface Backend {
  name: string;
  open(clock: FakeClock): Promise<OpenedBackend>;
}

// CI starts PostgreSQL and Redis, so there an unreachable server is a failure, never a skip.
const pgUnavailable = process.env.CI ? undefined : await postgresUnavailable();
let redis: Redis | undefined;

/** memory, SQLite and (when PostgreSQL answers, always in CI) PostgreSQL + Redis. */
export const BACKENDS: Backend[] = [
  {
    name: 'memory',
    open: async (clock) => ({ store: createMemoryStore({ clock }), serverOptions: {}, close: async () => undefined }),
  },
  {
    name: 'SQLite',
    open: async (clock) => {
      const dir = mkdtempSync(join(tmpdir(), 'gh-backend-'));
      const store = createSqliteStore({ filename: join(dir, 'gatehouse.db'), clock });
      await store.migrate();
      return {
        store,
        serverOptions: {},
        close: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  ...(pgUnavailable === undefined
    ? [
        {
          name: 'PostgreSQL + Redis',
          open: async (clock: FakeClock): Promise<OpenedBackend> => {
            redis ??= new Redis(REDIS_URL);
            const shared = redis;
            const schema = uniqueSchema();
            const prefix = `{gh-test-${randomUUID()}}:`;
            const store = createHybridStore({ durable: createPostgresStore({ connectionString: POSTGRES_URL, schema, clock }), redis: shared, prefix, clock });
            await store.migrate();
            return {
              store,
              serverOptions: { protection: { redis: shared, redisPrefix: prefix } },
              close: async () => {
                await store.close();
                await dropSchema(schema);
                await deleteKeysUnder(shared, prefix);
              },
            };
          },
        },
      ]
    : []),
];

/** Closes the shared Redis connection (call from the test file's `afterAll`). */
export async function closeBackends(): Promise<void> {
  await redis?.quit();
  redis = undefined;
}

/**
 * The store contract suite on PostgreSQL + Redis: for every test a hybrid store of its own, on an
 * empty schema (emptied after the test before, see {@link ReusedSchemas}; all dropped after the
 * suite) and a new Redis prefix on `redis()`, which is read when the test starts (a topology may be
 * started in a `beforeAll`). `deleteKeys` removes a test's keys after it, for a Redis that outlives
 * the file (the machine's). Call it inside a `describe`.
 *
 * @example
 * describeHybridStoreContract('hybrid (PostgreSQL + Redis Cluster)', () => redis);
 */
export function describeHybridStoreContract(
  name: string,
  redis: () => Redis | Cluster,
  options: { deleteKeys?: (prefix: string) => Promise<void> } = {},
): void {
  const schemas = new ReusedSchemas();
  afterAll(() => schemas.dropAll());
  describeStoreContract(name, async (clock) => {
    const schema = schemas.take();
    const prefix = `{gatehouse-test:${randomUUID()}}:`;
    const store = createHybridStore({ durable: createPostgresStore({ connectionString: POSTGRES_URL, schema, clock }), redis: redis(), prefix, clock });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await schemas.giveBack(schema);
        await options.deleteKeys?.(prefix);
      },
    };
  });
}
