/**
 * The shared store contract on the production combination: PostgreSQL for what is durable, Redis
 * for short-lived artifacts (issue 9: "all combinations pass the shared store contract suite").
 */
import { Redis } from 'ioredis';
import { afterAll, describe } from 'vitest';
import { deleteKeysUnder, REDIS_URL } from './client/redis/redis-helpers.js';
import { describeHybridStoreContract } from './helpers/backends.js';
import { postgresUnavailable } from './helpers/postgres.js';

// CI starts PostgreSQL and Redis, so there an unreachable server is a failure, never a skip.
const unavailable = process.env.CI ? undefined : await postgresUnavailable();
const redis = new Redis(REDIS_URL);

afterAll(async () => {
  await redis.quit();
});

(unavailable === undefined ? describe : describe.skip)(`PostgreSQL + Redis${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  describeHybridStoreContract('hybrid (PostgreSQL + Redis)', () => redis, { deleteKeys: (prefix) => deleteKeysUnder(redis, prefix) });
});
