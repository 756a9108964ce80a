import { CompiledQuery, type Kysely } from 'kysely';
import type { SqlDialectName } from './conflicts.js';
import type { Database } from './schema.js';

/** A value bound to a `?` of a {@link Statement}. */
export type SqlValue = string | number | null;

/**
 * One hand-written statement of a hot path (a lookup by id, an artifact write), its SQL written
 * once for both dialects with `?` placeholders. `Row` is the shape of the rows it returns.
 *
 * Kysely compiles a query from its builder on every call, and its SQLite driver prepares it on
 * every call; a statement is compiled never and prepared once (per store on SQLite, per
 * connection on PostgreSQL). The rest of the store (migrations, listings, rare writes) stays on
 * Kysely, where the builder is worth more than the microseconds.
 */
export interface Statement<Row = unknown> {
  /** Unique among statements: PostgreSQL's name for the prepared statement. */
  readonly name: string;
  /** As written, with `?` placeholders (SQLite's). */
  readonly sql: string;
  /** With `$1`, `$2`, ... placeholders (PostgreSQL's). */
  readonly postgresSql: string;
  /** Never set: carries `Row` to {@link StatementRunner}. */
  readonly row?: Row;
}

const names = new Set<string>();

/**
 * Declares a {@link Statement}, once, at module level. The SQL holds no quoted literal, so every
 * `?` in it is a placeholder; pass constants as values. Columns are listed, never `*`: a statement
 * prepared on a PostgreSQL connection would fail ("cached plan must not change result type") once
 * a later migration added a column to its table.
 *
 * @example
 * const CLIENT_BY_ID = statement<ClientRow>('gatehouse_client_by_id', 'select client_id, data from clients where client_id = ?');
 * const row = await ctx.statements.get(CLIENT_BY_ID, [clientId]);
 */
export function statement<Row = unknown>(name: string, sql: string): Statement<Row> {
  if (names.has(name)) throw new TypeError(`statement "${name}" is declared twice`);
  if (/['"]/.test(sql)) throw new TypeError(`statement "${name}" must not quote: pass literals as values`);
  names.add(name);
  let index = 0;
  return { name, sql, postgresSql: sql.replace(/\?/g, () => `$${++index}`) };
}

/**
 * A {@link Statement} inserting one row into a table, which
 * {@link StatementRunner.insertAfterRead} runs for a batch of rows. Its SQLite text inserts one
 * row and runs once a row; its PostgreSQL text inserts from `unnest` of one array a column, so a
 * batch of any size is one execution of one prepared statement.
 */
export interface InsertStatement extends Statement<never> {
  /** How many values a row has. */
  readonly columns: number;
}

/**
 * Declares an {@link InsertStatement} into `table`, once, at module level: `columns` maps each
 * column, in the order of a row's values, to its PostgreSQL type (the arrays' element type).
 *
 * @example
 * const INSERT = insertStatement('gatehouse_thing_insert', 'things', { id: 'text', created: 'bigint' });
 */
export function insertStatement(name: string, table: string, columns: Readonly<Record<string, 'bigint' | 'text'>>): InsertStatement {
  const names = Object.keys(columns).join(', ');
  const types = Object.values(columns);
  const declared = statement<never>(name, `insert into ${table} (${names}) values (${types.map(() => '?').join(', ')})`);
  const arrays = types.map((type, index) => `$${index + 1}::${type}[]`).join(', ');
  return { ...declared, postgresSql: `insert into ${table} (${names}) select * from unnest(${arrays})`, columns: types.length };
}

/** The values of `rows` a column at a time: the arrays an {@link InsertStatement} takes on PostgreSQL. */
export function byColumn(insert: InsertStatement, rows: readonly (readonly SqlValue[])[]): SqlValue[][] {
  return Array.from({ length: insert.columns }, (_, column) => rows.map((row) => row[column] ?? null));
}

/**
 * Runs {@link Statement}s: prepared once per store on SQLite (`sqliteStatements`), as named
 * prepared statements on PostgreSQL (`postgresStatements`). Driver errors come through unchanged,
 * so `asConflict` and `isStoreUnavailable` read them as they read Kysely's.
 */
export interface StatementRunner {
  /** The first row, or `undefined` when there is none. */
  get<Row>(statement: Statement<Row>, values: readonly SqlValue[]): Promise<Row | undefined>;
  /** Every row. */
  all<Row>(statement: Statement<Row>, values: readonly SqlValue[]): Promise<Row[]>;
  /** Runs a statement that returns no rows; resolves to the number of rows it changed. */
  run(statement: Statement, values: readonly SqlValue[]): Promise<number>;
  /**
   * Reads the first row of `read`, then inserts with `insert` the rows `rowsAfter` makes of it:
   * all of them or, when one fails (or `rowsAfter` throws), none. Resolves to the number inserted.
   * On SQLite the read and the inserts are one `BEGIN IMMEDIATE` transaction, so no other writer
   * comes between them; on PostgreSQL (`postgresStatements`) they are one transaction that first
   * takes the schema's advisory lock of appends, so writers in every process queue instead of
   * colliding, and the inserts are one statement. A runner without that lock (`kyselyStatements`
   * on PostgreSQL) relies on a key refusing the rows when another writer came between.
   */
  insertAfterRead<Row>(
    read: Statement<Row>,
    values: readonly SqlValue[],
    insert: InsertStatement,
    rowsAfter: (row: Row | undefined) => readonly (readonly SqlValue[])[],
  ): Promise<number>;
}

/**
 * A {@link StatementRunner} that sends statements through Kysely, unprepared: for a store built
 * on a Kysely instance alone (`createSqlStore(db, ...)` without `statements`), where the
 * connection underneath is out of reach.
 */
export function kyselyStatements(db: Kysely<Database>, dialect: SqlDialectName): StatementRunner {
  const execute = <Row>(statement: Statement<Row>, values: readonly SqlValue[]) =>
    db.executeQuery<Row>(CompiledQuery.raw(dialect === 'postgres' ? statement.postgresSql : statement.sql, [...values]));
  return {
    async get(statement, values) {
      return (await execute(statement, values)).rows[0];
    },
    async all(statement, values) {
      return (await execute(statement, values)).rows;
    },
    async run(statement, values) {
      return Number((await execute(statement, values)).numAffectedRows ?? 0n);
    },
    async insertAfterRead(read, values, insert, rowsAfter) {
      const rows = rowsAfter((await execute(read, values)).rows[0]);
      if (rows.length === 0) return 0;
      if (dialect === 'postgres') {
        await db.executeQuery(CompiledQuery.raw(insert.postgresSql, byColumn(insert, rows)));
      } else if (rows.length === 1) {
        await db.executeQuery(CompiledQuery.raw(insert.sql, [...rows[0]!]));
      } else {
        await db.transaction().execute(async (tx) => {
          for (const row of rows) await tx.executeQuery(CompiledQuery.raw(insert.sql, [...row]));
        });
      }
      return rows.length;
    },
  };
}
