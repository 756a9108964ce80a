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
import { dropSchema, POSTGRES_URL, postgresUnavailable, uniqueSchema } from './helpers/postgres.js';
import { describeStoreContract } from './store-contract.js';

// CI starts PostgreSQL and Redis, so there an unreachable server is a failure, never a skip.
const unavailable = process.env.CI ? undefined : await postgresUnavailable();
const redis = new Redis(REDIS_URL);

afterAll(async () => {
  await redis.quit();
});

(unavailable === undefined ? describe : describe.skip)(`PostgreSQL + Redis${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  describeStoreContract('hybrid (PostgreSQL + Redis)', async (clock) => {
    const schema = uniqueSchema();
    const prefix = `{gatehouse-test:${randomUUID()}}:`;
    const store = createHybridStore({ durable: createPostgresStore({ connectionString: POSTGRES_URL, schema, clock }), redis, prefix, clock });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropSchema(schema);
        await deleteKeysUnder(redis, prefix);
      },
    };
  });
});
