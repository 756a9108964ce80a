import type { Pool } from 'pg';
import { byColumn, type SqlValue, type Statement, type StatementRunner } from '../sql/index.js';

/**
 * Runs the hot paths' statements as named prepared statements on `pool`, the pool Kysely also
 * draws from: PostgreSQL parses and plans each once per connection, and `pg` sends only Bind and
 * Execute after that. A name is per connection, and so is everything else the statement depends on
 * (the `search_path` from the connection's startup options): a pool's connections all start alike,
 * so the same name means the same statement on each. Errors are `pg`'s own, as through Kysely, so
 * conflicts and unreachable servers are recognised as before.
 *
 * Behind PgBouncer in transaction pooling mode, named prepared statements need PgBouncer 1.21 or
 * later with `max_prepared_statements` set.
 */
export function postgresStatements(pool: Pool): StatementRunner {
  const query = <Row>(statement: Statement<Row>, values: readonly (SqlValue | SqlValue[])[]) =>
    pool.query<Row & object>({ name: statement.name, text: statement.postgresSql, values: values as (SqlValue | SqlValue[])[] });
  return {
    async get(statement, values) {
      return (await query(statement, values)).rows[0];
    },
    async all(statement, values) {
      return (await query(statement, values)).rows;
    },
    async run(statement, values) {
      return (await query(statement, values)).rowCount ?? 0;
    },
    async insertAfterRead(read, values, insert, rowsAfter) {
      const rows = rowsAfter((await query(read, values)).rows[0]);
      if (rows.length === 0) return 0;
      // One statement, atomic on its own: a transaction would only add two round trips.
      return (await query(insert, byColumn(insert, rows))).rowCount ?? 0;
    },
  };
}
