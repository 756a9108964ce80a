import type { Pool, PoolClient } from 'pg';
import { byColumn, statement, type SqlValue, type Statement, type StatementRunner } from '../sql/index.js';
import { LOCK_ID_SQL, schemaLockKey } from './schema-locks.js';

/** Taken inside the transaction of an {@link StatementRunner.insertAfterRead}; released by its commit. */
const LOCK_APPENDS = statement('gatehouse_lock_appends', `select pg_advisory_xact_lock(${LOCK_ID_SQL})`);

/**
 * Runs the hot paths' statements as named prepared statements on `pool`, the pool Kysely also
 * draws from: PostgreSQL parses and plans each once per connection, and `pg` sends only Bind and
 * Execute after that. A name is per connection, and so is everything else the statement depends on
 * (the `search_path` from the connection's startup options): a pool's connections all start alike,
 * so the same name means the same statement on each. Errors are `pg`'s own, as through Kysely, so
 * conflicts and unreachable servers are recognised as before.
 *
 * `insertAfterRead` (the audit chain's append) runs in a transaction that first takes the
 * transaction-scoped advisory lock of `schema`'s appends (`schemaLockKey('audit appends', schema)`),
 * then reads and inserts: writers in every process on the schema queue for the lock instead of
 * inserting the same key and all but one failing, which under load filled PostgreSQL's log with
 * duplicate-key errors and cost every loser its batch and another try. The lock is released by the
 * commit or rollback, so it works behind PgBouncer in transaction pooling mode, and a connection
 * lost mid-append never keeps it.
 *
 * Behind PgBouncer in transaction pooling mode, named prepared statements need PgBouncer 1.21 or
 * later with `max_prepared_statements` set.
 */
export function postgresStatements(pool: Pool, schema: string): StatementRunner {
  const appendsKey = schemaLockKey('audit appends', schema);
  const query = <Row>(on: Pool | PoolClient, statement: Statement<Row>, values: readonly (SqlValue | SqlValue[])[]) =>
    on.query<Row & object>({ name: statement.name, text: statement.postgresSql, values: values as (SqlValue | SqlValue[])[] });
  return {
    async get(statement, values) {
      return (await query(pool, statement, values)).rows[0];
    },
    async all(statement, values) {
      return (await query(pool, statement, values)).rows;
    },
    async run(statement, values) {
      return (await query(pool, statement, values)).rowCount ?? 0;
    },
    async insertAfterRead(read, values, insert, rowsAfter) {
      const client = await pool.connect();
      // A connection whose rollback failed is in an unknown state: the pool drops it instead.
      let broken: Error | undefined;
      try {
        await client.query('begin');
        await query(client, LOCK_APPENDS, [appendsKey]);
        // Read after the lock, in a statement of its own: it sees every append committed before.
        const rows = rowsAfter((await query(client, read, values)).rows[0]);
        const inserted = rows.length === 0 ? 0 : ((await query(client, insert, byColumn(insert, rows))).rowCount ?? 0);
        await client.query('commit');
        return inserted;
      } catch (error) {
        await client.query('rollback').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error('rollback failed');
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
  };
}
