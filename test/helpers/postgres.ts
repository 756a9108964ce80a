/**
 * Shared set-up of the tests that run against the real PostgreSQL at 127.0.0.1:5432
 * (GATEHOUSE_TEST_DATABASE_URL to override): a schema unique to each test, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL the store tests run against: `GATEHOUSE_TEST_DATABASE_URL`, else the server CI
 * starts (trust auth, database `test`), with `synchronous_commit` off for these sessions: a commit
 * does not wait for its write-ahead log to reach the disk. Only a crash of the server could lose
 * such commits, and they are test data; every schema, migration and transaction of the tests is
 * spared a disk flush. What other sessions see, and when, is unchanged.
 */
export const POSTGRES_URL = process.env.GATEHOUSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test?options=-c%20synchronous_commit%3Doff';

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

/**
 * Schemas for tests that each want an empty, migrated one (the store contract, one test after the
 * other): a schema given back is emptied and handed to the next test, instead of every test
 * creating, migrating and dropping its own (some twenty DDL statements). The first test of a file
 * gets a new name, which its store's `migrate()` creates. {@link ReusedSchemas.dropAll} drops them.
 */
export class ReusedSchemas {
  readonly #free: string[] = [];
  readonly #all = new Set<string>();

  /** An emptied schema, migrated before; else a new one. */
  take(): string {
    const schema = this.#free.pop() ?? uniqueSchema();
    this.#all.add(schema);
    return schema;
  }

  /**
   * Empties every table of `schema` but the migrator's own, and keeps it for the next test. Rows are
   * deleted (cheaper than TRUNCATE on tables this small); should a foreign key refuse that order,
   * the tables are truncated together instead. A schema that cannot be emptied is dropped.
   */
  async giveBack(schema: string): Promise<void> {
    if (!/^gh_test_[0-9a-f]{16}$/.test(schema)) throw new Error(`not a test schema: ${schema}`);
    try {
      await adminQuery(`do $$
        declare
          tables text[] := array(
            select format('%I.%I', table_schema, table_name) from information_schema.tables
            where table_schema = '${schema}' and table_type = 'BASE TABLE'
              and table_name not in ('gatehouse_migration', 'gatehouse_migration_lock'));
          name text;
        begin
          foreach name in array tables loop execute 'delete from ' || name; end loop;
        exception when foreign_key_violation then
          execute 'truncate ' || array_to_string(tables, ', ');
        end $$`);
      this.#free.push(schema);
    } catch {
      this.#all.delete(schema);
      await dropSchema(schema);
    }
  }

  /** Drops every schema handed out. */
  async dropAll(): Promise<void> {
    const schemas = [...this.#all];
    this.#all.clear();
    this.#free.length = 0;
    for (const schema of schemas) await dropSchema(schema);
  }
}

/** The tables in `schema`, sorted by name. */
export async function tablesIn(schema: string): Promise<string[]> {
  const rows = await adminQuery<{ table_name: string }>('select table_name from information_schema.tables where table_schema = $1 order by table_name', [
    schema,
  ]);
  return rows.map((row) => row.table_name);
}
