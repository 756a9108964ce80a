import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database, InsertStatement, SqlValue, Statement, StatementRunner } from '../sql/index.js';

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
 * on Kysely (revoking a consent, rotating keys) are rare, so the queue is almost never taken;
 * consume's exactly-one-winner holds either way, being a single UPDATE on a single connection.
 * Never await a statement inside a Kysely transaction (it would wait for its own transaction): use
 * the transaction's connection.
 *
 * Writes (`run`) are committed in groups: those issued in one turn of the event loop are queued and
 * run at `setImmediate` in one transaction, one commit for all of them rather than one each, and
 * every caller learns its outcome only after that commit, so a write is durable before anyone is
 * told it succeeded, as when each committed alone. A statement's own error (a constraint) goes to
 * its caller alone: SQLite undoes that statement and the transaction goes on. An error that ends
 * the transaction (SQLite rolls it back) goes to every caller of the group, whose writes went with
 * it. A group of one runs alone, without BEGIN and COMMIT.
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
  // Made once: better-sqlite3 wraps the function anew on every `transaction()`. Synchronous from
  // BEGIN to COMMIT, so the write lock is never held across an await; IMMEDIATE takes it (waiting
  // up to busy_timeout) before the read, so another process's writer cannot come between.
  const readThenInsert = database.transaction(
    (
      read: BetterSqlite3.Statement<SqlValue[]>,
      values: readonly SqlValue[],
      insert: BetterSqlite3.Statement<SqlValue[]>,
      rowsAfter: (row: unknown) => readonly (readonly SqlValue[])[],
    ) => {
      const rows = rowsAfter(read.get(...values));
      for (const row of rows) insert.run(...row);
      return rows.length;
    },
  );

  let queued: QueuedWrite[] = [];
  // One write: run at once, or rolled back with its group when `grouped` and SQLite ended it.
  const write = (entry: QueuedWrite, settled: Settled[], grouped: boolean): void => {
    try {
      settled.push({ entry, changes: preparedOf(entry.statement).run(...entry.values).changes });
    } catch (error) {
      if (grouped && !database.inTransaction) throw new TransactionEnded(error);
      settled.push({ entry, error });
    }
  };
  const writeGroup = database.transaction((group: readonly QueuedWrite[], settled: Settled[]) => {
    for (const entry of group) write(entry, settled, true);
  });
  const flush = (): void => {
    const group = queued;
    queued = [];
    const settled: Settled[] = [];
    const writeAll = (): void => {
      if (group.length === 1) write(group[0]!, settled, false);
      else writeGroup.immediate(group, settled);
    };
    // `then`, so that a throw of writeAll (BEGIN or COMMIT failing, the transaction ended) lands in `catch`.
    Promise.resolve()
      .then(() => outsideTransactions(writeAll))
      .then(
        () => {
          for (const { entry, changes, error } of settled) {
            if (changes === undefined) entry.reject(error);
            else entry.resolve(changes);
          }
        },
        (error: unknown) => {
          const cause = error instanceof TransactionEnded ? error.cause : error;
          for (const entry of group) entry.reject(cause);
        },
      );
  };

  return {
    async get<Row>(statement: Statement<Row>, values: readonly SqlValue[]) {
      return outsideTransactions(() => preparedOf(statement).get(...values) as Row | undefined);
    },
    async all<Row>(statement: Statement<Row>, values: readonly SqlValue[]) {
      return outsideTransactions(() => preparedOf(statement).all(...values) as Row[]);
    },
    run(statement, values) {
      return new Promise<number>((resolve, reject) => {
        queued.push({ statement, values, resolve, reject });
        if (queued.length === 1) setImmediate(flush);
      });
    },
    async insertAfterRead<Row>(
      read: Statement<Row>,
      values: readonly SqlValue[],
      insert: InsertStatement,
      rowsAfter: (row: Row | undefined) => readonly (readonly SqlValue[])[],
    ) {
      return outsideTransactions(() =>
        readThenInsert.immediate(preparedOf(read), values, preparedOf(insert), rowsAfter as (row: unknown) => readonly (readonly SqlValue[])[]),
      );
    },
  };
}

/** A `run` waiting for its group's commit. */
interface QueuedWrite {
  statement: Statement;
  values: readonly SqlValue[];
  resolve: (changes: number) => void;
  reject: (error: unknown) => void;
}

/** A write's outcome, told its caller after the commit: `changes`, or else `error`. */
interface Settled {
  entry: QueuedWrite;
  changes?: number;
  error?: unknown;
}

/** Carries out of a group the error after which SQLite had rolled the group's transaction back. */
class TransactionEnded extends Error {
  constructor(cause: unknown) {
    super('the transaction of a group of writes ended', { cause });
  }
}
