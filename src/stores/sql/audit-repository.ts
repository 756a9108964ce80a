import { sql, type Kysely, type Selectable } from 'kysely';
import { StoreConflictError, type AuditEventRecord, type AuditRepository, type Json, type NewAuditEvent } from '../contract.js';
import { asConflict, primaryKeyField } from './conflicts.js';
import { checkedLimit, toMillis } from './column-values.js';
import type { SqlContext } from './context.js';
import type { AuditEventsTable, Database } from './schema.js';

/** Default page size of {@link SqlAuditRepository.list}, as in the contract. */
const DEFAULT_LIST_LIMIT = 1000;
/** How often an append that lost the race for its `seq` to another process tries again. */
const MAX_APPEND_ATTEMPTS = 50;
/**
 * Rows of a batch inserted by one statement. 12 parameters a row stays below SQLite's 32,766 and
 * PostgreSQL's 65,535 bound parameters. A batch up to this size is one INSERT, which is atomic on
 * its own; a larger one is several, in a transaction.
 */
const ROWS_PER_STATEMENT = 1000;

/**
 * The audit log in the `audit_events` table.
 *
 * Appending a batch (`append` is a batch of one) reads the last event, then inserts every row of
 * the batch chained to it with one INSERT. It is kept race-free by the primary key rather than by
 * locks, so it is the same on SQLite and PostgreSQL: of several writers that read the same last
 * event and insert the same `seq`, exactly one succeeds; the others' whole batches are refused, and
 * they read the new last event and try again. Since a row is only ever inserted, the `prev_hash` a
 * writer read stays the hash of `seq - 1`.
 *
 * No lock is held between the read and the insert: better-sqlite3 waits for a lock synchronously,
 * so a SQLite write transaction left open across an `await` would stall every other connection of
 * the process (and, in one process, deadlock with them until the busy timeout). Only a batch too
 * large for one statement takes a transaction.
 */
export class SqlAuditRepository implements AuditRepository {
  readonly #ctx: SqlContext;
  /** Appends of this process, one after another: only appends from other processes race. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async append(event: NewAuditEvent, chain: (prevHash: string, seq: number) => string): Promise<AuditEventRecord> {
    const [stored] = await this.appendMany([event], chain);
    return stored!;
  }

  appendMany(events: readonly NewAuditEvent[], chain: (prevHash: string, seq: number, index: number) => string): Promise<AuditEventRecord[]> {
    if (events.length === 0) return Promise.resolve([]);
    const appended = this.#queue.then(() => this.#appendRacing(events, chain));
    this.#queue = appended.catch(() => undefined);
    return appended;
  }

  async #appendRacing(events: readonly NewAuditEvent[], chain: (prevHash: string, seq: number, index: number) => string): Promise<AuditEventRecord[]> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        if (events.length <= ROWS_PER_STATEMENT) return await appendAfterLast(this.#ctx.db, events, chain);
        return await this.#inWriteTransaction((db) => appendAfterLast(db, events, chain));
      } catch (error) {
        const conflict = asConflict(error, this.#ctx.dialect, primaryKeyField('seq'));
        if (!(conflict instanceof StoreConflictError)) throw error;
        if (attempt >= MAX_APPEND_ATTEMPTS) {
          throw new StoreConflictError('seq', `audit event not appended: lost the race for a sequence number ${attempt} times`);
        }
        // A short random pause, so writers that keep colliding spread out.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 25)));
      }
    }
  }

  /**
   * Runs `work` in one transaction. SQLite's is `BEGIN IMMEDIATE`: it takes the write lock before
   * the read, where a deferred one that reads and then writes fails at once (SQLITE_BUSY, without
   * waiting) when another connection wrote in between.
   */
  #inWriteTransaction<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.#ctx.dialect === 'postgres') return this.#ctx.db.transaction().execute(work);
    return this.#ctx.db.connection().execute(async (db) => {
      await sql`begin immediate`.execute(db);
      try {
        const result = await work(db);
        await sql`commit`.execute(db);
        return result;
      } catch (error) {
        // Fails only when SQLite already rolled back (a failed COMMIT may): the first error is the news.
        await sql`rollback`.execute(db).catch(() => undefined);
        throw error;
      }
    });
  }

  async list(options: { afterSeq?: number; limit?: number; type?: string } = {}): Promise<AuditEventRecord[]> {
    const { afterSeq = 0, limit = DEFAULT_LIST_LIMIT, type } = options;
    let query = this.#ctx.db.selectFrom('audit_events').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(checkedLimit(limit));
    if (type !== undefined) query = query.where('type', '=', type);
    return (await query.execute()).map(fromRow);
  }

  async tail(limit: number, type?: string): Promise<AuditEventRecord[]> {
    let query = this.#ctx.db.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').limit(checkedLimit(limit));
    if (type !== undefined) query = query.where('type', '=', type);
    return (await query.execute()).map(fromRow);
  }
}

/**
 * Reads the last event and inserts `events` after it, chained, {@link ROWS_PER_STATEMENT} rows a
 * statement. Every hash is computed before the first insert: a throwing `chain` writes nothing.
 */
async function appendAfterLast(
  db: Kysely<Database>,
  events: readonly NewAuditEvent[],
  chain: (prevHash: string, seq: number, index: number) => string,
): Promise<AuditEventRecord[]> {
  const last = await db.selectFrom('audit_events').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  let seq = last === undefined ? 0 : Number(last.seq);
  let prevHash = last?.hash ?? '';
  const rows = events.map((event, index) => {
    seq += 1;
    const row = toRow({ ...event, seq, prevHash, hash: chain(prevHash, seq, index) });
    prevHash = row.hash;
    return row;
  });
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    await db
      .insertInto('audit_events')
      .values(rows.slice(i, i + ROWS_PER_STATEMENT))
      .execute();
  }
  // Read back from the rows, so the caller sees exactly what a later list() returns.
  return rows.map(fromRow);
}

function toRow(event: AuditEventRecord) {
  return {
    seq: event.seq,
    time: event.time,
    type: event.type,
    outcome: event.outcome,
    request_id: event.requestId,
    client_id: event.clientId,
    subject: event.subject,
    ip: event.ip,
    user_agent: event.userAgent,
    details: JSON.stringify(event.details),
    prev_hash: event.prevHash,
    hash: event.hash,
  };
}

function fromRow(row: Selectable<AuditEventsTable>): AuditEventRecord {
  return {
    seq: Number(row.seq),
    time: toMillis(row.time),
    type: row.type,
    outcome: row.outcome as AuditEventRecord['outcome'],
    requestId: row.request_id,
    clientId: row.client_id,
    subject: row.subject,
    ip: row.ip,
    userAgent: row.user_agent,
    details: JSON.parse(row.details) as Record<string, Json>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
