import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database, SqlValue, Statement, StatementRunner } from '../sql/index.js';

/**
 * Runs the hot paths' statements on `database`, the connection Kysely (`db`) also runs on, each
 * prepared on first use and kept for the life of the store. better-sqlite3 is synchronous, so a
 * statement runs at once, without Kysely's compile, its per-query `prepare` or its driver's
 * asynchronous hops.
 *
 * Sharing one connection with Kysely needs one rule. Kysely serialises its own queries through a
 * mutex, and inside a transaction it awaits between statements; a statement run synchronously in
 * such a gap would join that transaction: its write would be rolled back with it after its caller
 * was told it succeeded, and its read would see rows not yet committed. So while a transaction is
 * open (`database.inTransaction`: only one begun through Kysely can be, by `db.transaction()` or a
 * `begin` inside `db.connection()`, and both hold Kysely's mutex until it ends), the statement
 * queues behind that mutex (`db.connection()`) and runs after the transaction. Otherwise it runs at
 * once: between statements outside a transaction there is nothing to break. The transactions left
 * on Kysely (revoking a consent, rotating keys, a large audit batch) are rare, so the queue is
 * almost never taken; consume's exactly-one-winner holds either way, being a single UPDATE on a
 * single connection. Never await a statement inside a Kysely transaction (it would wait for its
 * own transaction): use the transaction's connection.
 */
export function sqliteStatements(database: BetterSqlite3.Database, db: Kysely<Database>): StatementRunner {
  const prepared = new Map<Statement, BetterSqlite3.Statement<SqlValue[]>>();
  const preparedOf = (statement: Statement): BetterSqlite3.Statement<SqlValue[]> => {
    let cached = prepared.get(statement);
    if (cached === undefined) {
      // Prepared on first use, not up front: before `migrate()` the tables may not exist yet.
      cached = database.prepare<SqlValue[]>(statement.sql);
      prepared.set(statement, cached);
    }
    return cached;
  };
  const outsideTransactions = <T>(work: () => T): T | Promise<T> => (database.inTransaction ? db.connection().execute(async () => work()) : work());

  return {
    async get<Row>(statement: Statement<Row>, values: readonly SqlValue[]) {
      return outsideTransactions(() => preparedOf(statement).get(...values) as Row | undefined);
    },
    async all<Row>(statement: Statement<Row>, values: readonly SqlValue[]) {
      return outsideTransactions(() => preparedOf(statement).all(...values) as Row[]);
    },
    async run(statement, values) {
      return outsideTransactions(() => preparedOf(statement).run(...values).changes);
    },
  };
}
