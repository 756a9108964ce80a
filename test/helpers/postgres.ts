/**
 * Shared set-up of the tests that run against the real PostgreSQL at 127.0.0.1:5432
 * (GATEHOUSE_TEST_DATABASE_URL to override): a schema unique to each test, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL the store tests run against: `GATEHOUSE_TEST_DATABASE_URL`, else the server CI
 * starts (trust auth, database `test`).
 */
export const POSTGRES_URL = process.env.GATEHOUSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Why PostgreSQL cannot be used, or `undefined` when it answers. Only for deciding to skip: a
 * server that answers but misbehaves must fail the tests, not skip them.
 */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  // A failed connection may also report itself as an event; the rejection below says it all.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A schema name no other test uses: `gh_test_` and 16 hex digits. */
export function uniqueSchema(): string {
  return `gh_test_${randomBytes(8).toString('hex')}`;
}

/** Runs one statement on a connection of its own (not the store's), returning the rows. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Drops a test schema and everything in it. The name is one of {@link uniqueSchema}'s. */
export async function dropSchema(schema: string): Promise<void> {
  if (!/^gh_test_[0-9a-f]{16}$/.test(schema)) throw new Error(`not a test schema: ${schema}`);
  await adminQuery(`drop schema if exists ${schema} cascade`);
}

/** The tables in `schema`, sorted by name. */
export async function tablesIn(schema: string): Promise<string[]> {
  const rows = await adminQuery<{ table_name: string }>(
    'select table_name from information_schema.tables where table_schema = $1 order by table_name',
    [schema],
  );
  return rows.map((row) => row.table_name);
}
