/**
 * The shared store contract on the production combination: PostgreSQL for what is durable, Redis
 * for short-lived artifacts (issue 9: "all combinations pass the shared store contract suite").
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe } from 'vitest';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { createHybridStore } from '../src/stores/redis/index.js';
import { deleteKeysUnder, REDIS_URL } from './client/redis/redis-helpers.js';
import { POSTGRES_URL, postgresUnavailable, ReusedSchemas } from './helpers/postgres.js';
import { describeStoreContract } from './store-contract.js';

// CI starts PostgreSQL and Redis, so there an unreachable server is a failure, never a skip.
const unavailable = process.env.CI ? undefined : await postgresUnavailable();
const redis = new Redis(REDIS_URL);

afterAll(async () => {
  await redis.quit();
});

(unavailable === undefined ? describe : describe.skip)(`PostgreSQL + Redis${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  // A store of its own for every test, on an empty schema (emptied after the test before, see
  // ReusedSchemas) and a new Redis prefix.
  const schemas = new ReusedSchemas();
  afterAll(() => schemas.dropAll());
  describeStoreContract('hybrid (PostgreSQL + Redis)', async (clock) => {
    const schema = schemas.take();
    const prefix = `{gatehouse-test:${randomUUID()}}:`;
    const store = createHybridStore({ durable: createPostgresStore({ connectionString: POSTGRES_URL, schema, clock }), redis, prefix, clock });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await schemas.giveBack(schema);
        await deleteKeysUnder(redis, prefix);
      },
    };
  });
});
