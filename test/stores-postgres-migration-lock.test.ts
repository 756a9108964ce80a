/**
 * Migrations lock per schema: installations in different schemas of one database never wait for
 * each other's migrations, while two starts on one schema still migrate one after the other.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { dropSchema, POSTGRES_URL, postgresUnavailable, uniqueSchema } from './helpers/postgres.js';

/** Kysely's own migration lock id: one for the whole database. */
const KYSELY_LOCK_ID = '3853314791062309107';
const unavailable = await postgresUnavailable();

/** Whether `promise` settles within `ms` (a hang shows as false, not as a timed-out test). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe.skipIf(unavailable)('PostgreSQL migration lock', () => {
  const schemas: string[] = [];
  const holder = new pg.Client({ connectionString: POSTGRES_URL });
  let connected = false;

  beforeAll(async () => {
    await holder.connect();
    connected = true;
  });
  afterEach(async () => {
    if (connected) await holder.query('select pg_advisory_unlock_all()');
  });
  afterAll(async () => {
    if (connected) await holder.end();
    for (const schema of schemas) await dropSchema(schema);
  });

  const storeIn = (schema: string) => {
    schemas.push(schema);
    return createPostgresStore({ connectionString: POSTGRES_URL, schema });
  };

  it('does not wait for a lock held elsewhere in the database (another tool using Kysely, another schema)', async () => {
    await holder.query(`select pg_advisory_lock(${KYSELY_LOCK_ID})`);
    const store = storeIn(uniqueSchema());
    try {
      const migrating = store.migrate();
      expect(await settlesWithin(migrating, 15_000)).toBe(true);
      expect((await migrating).length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it("waits while the same schema's migration lock is held, and goes on once it is released", async () => {
    const schema = uniqueSchema();
    await holder.query(`select pg_advisory_lock(hashtextextended($1, 0))`, [`gatehouse migrations ${schema}`]);
    const store = storeIn(schema);
    try {
      const migrating = store.migrate();
      expect(await settlesWithin(migrating, 1_500)).toBe(false);
      await holder.query('select pg_advisory_unlock_all()');
      expect(await settlesWithin(migrating, 15_000)).toBe(true);
      expect((await migrating).length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});
