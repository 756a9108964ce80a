import { sql, type Selectable } from 'kysely';
import {
  checkAuditCountsQuery,
  StoreConflictError,
  type AuditCount,
  type AuditCountsQuery,
  type AuditEventRecord,
  type AuditQuery,
  type AuditRepository,
  type Json,
  type NewAuditEvent,
} from '../contract.js';
import { asConflict, primaryKeyField } from './conflicts.js';
import { checkedLimit, toMillis } from './column-values.js';
import type { SqlContext } from './context.js';
import type { AuditEventsTable } from './schema.js';
import { insertStatement, statement, type SqlValue, type StatementRunner } from './statements.js';

/** Default page size of {@link SqlAuditRepository.list}, as in the contract. */
const DEFAULT_LIST_LIMIT = 1000;
/** How often an append that lost the race for its `seq` to another process tries again. */
const MAX_APPEND_ATTEMPTS = 50;

const LAST = statement<{ seq: number | string; hash: string }>('gatehouse_audit_last', 'select seq, hash from audit_events order by seq desc limit 1');
/** The columns of a row, in the order of {@link toValues}. */
const INSERT = insertStatement('gatehouse_audit_insert', 'audit_events', {
  seq: 'bigint',
  time: 'bigint',
  type: 'text',
  outcome: 'text',
  request_id: 'text',
  client_id: 'text',
  subject: 'text',
  ip: 'text',
  user_agent: 'text',
  details: 'text',
  prev_hash: 'text',
  hash: 'text',
});

/**
 * The audit log in the `audit_events` table.
 *
 * Appending a batch (`append` is a batch of one) reads the last event, then inserts every row of
 * the batch chained to it, all or none (`insertAfterRead`). On SQLite the read and the inserts are
 * one synchronous `BEGIN IMMEDIATE` transaction: no other writer, in this process or another, can
 * come between, and the write lock is never held across an `await`. On PostgreSQL they are one
 * transaction behind the schema's advisory lock of appends (see `postgresStatements`): writers in
 * other processes wait for the lock rather than race for the next `seq`.
 *
 * The primary key stays the guard of last resort: should two writers still read the same last
 * event (a runner without the lock, such as a store over a bare Kysely instance, or an instance of
 * an older version during a rolling upgrade), exactly one insert of that `seq` succeeds; the
 * others' whole batches are refused, and they read the new last event and try again. Since a row
 * is only ever inserted, the `prev_hash` a writer read stays the hash of `seq - 1`.
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
        return await appendAfterLast(this.#ctx.statements, events, chain);
      } catch (error) {
        const conflict = asConflict(error, this.#ctx.dialect, primaryKeyField('seq'));
        if (!(conflict instanceof StoreConflictError)) throw error;
        if (attempt >= MAX_APPEND_ATTEMPTS) {
          throw new StoreConflictError('seq', `audit event not appended: lost the race for a sequence number ${attempt} times`);
        }
        // Only without the lock (see above). A short random pause, so writers that keep colliding spread out.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 25)));
      }
    }
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

  async query(query: AuditQuery): Promise<AuditEventRecord[]> {
    const limit = checkedLimit(query.limit);
    if (query.types?.length === 0) return [];
    // Each filter an equality or a range the indexes of 0005 serve, read newest first by `seq`.
    // With `afterSeq`, the page just above it: read upwards, then turned newest first.
    const upwards = query.afterSeq !== undefined;
    let select = this.#ctx.db
      .selectFrom('audit_events')
      .selectAll()
      .orderBy('seq', upwards ? 'asc' : 'desc')
      .limit(limit);
    if (query.from !== undefined) select = select.where('time', '>=', query.from);
    if (query.to !== undefined) select = select.where('time', '<', query.to);
    if (query.types !== undefined) select = select.where('type', 'in', [...query.types]);
    if (query.subject !== undefined) select = select.where('subject', '=', query.subject);
    if (query.clientId !== undefined) select = select.where('client_id', '=', query.clientId);
    if (query.ip !== undefined) select = select.where('ip', '=', query.ip);
    if (query.outcome !== undefined) select = select.where('outcome', '=', query.outcome);
    if (query.beforeSeq !== undefined) select = select.where('seq', '<', query.beforeSeq);
    if (query.afterSeq !== undefined) select = select.where('seq', '>', query.afterSeq);
    const found = (await select.execute()).map(fromRow);
    return upwards ? found.reverse() : found;
  }

  async counts(query: AuditCountsQuery): Promise<AuditCount[]> {
    checkAuditCountsQuery(query);
    const { from, to, bucketMs } = query;
    if (query.types.length === 0 || to <= from) return [];
    // The bucket's number, by whole-number division on both dialects (the cast: a parameter bound
    // as a float would divide exactly); `time >= from` keeps it from rounding towards zero below 0.
    const bucket = sql<number | string>`cast((${sql.ref('time')} - ${from}) / ${bucketMs} as bigint)`;
    const rows = await this.#ctx.db
      .selectFrom('audit_events')
      .select(['type', bucket.as('k'), (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('time', '>=', from)
      .where('time', '<', to)
      .where('type', 'in', [...query.types])
      // By the output column's name: PostgreSQL would not see the expression, with its own
      // parameters, as the one selected.
      .groupBy(['type', sql.ref('k')])
      .execute();
    return rows.map((row) => ({ type: row.type, bucket: from + Number(row.k) * bucketMs, count: Number(row.n) }));
  }
}

/**
 * Reads the last event and inserts `events` after it, chained. Every hash is computed before the
 * first insert: a throwing `chain` writes nothing.
 */
async function appendAfterLast(
  statements: StatementRunner,
  events: readonly NewAuditEvent[],
  chain: (prevHash: string, seq: number, index: number) => string,
): Promise<AuditEventRecord[]> {
  let records: AuditEventRecord[] = [];
  await statements.insertAfterRead(LAST, [], INSERT, (last) => {
    let seq = last === undefined ? 0 : Number(last.seq);
    let prevHash = last?.hash ?? '';
    // Made afresh on every call: a batch refused by the key is made again after the new last event.
    records = events.map((event, index) => {
      seq += 1;
      const record: AuditEventRecord = { ...event, seq, prevHash, hash: chain(prevHash, seq, index) };
      prevHash = record.hash;
      return record;
    });
    return records.map(toValues);
  });
  // Read back through the row, so the caller sees exactly what a later list() returns.
  return records.map((record) => fromRow(toRow(record)));
}

/** A record as the values of an {@link INSERT}. */
function toValues(record: AuditEventRecord): SqlValue[] {
  const row = toRow(record);
  return [row.seq, row.time, row.type, row.outcome, row.request_id, row.client_id, row.subject, row.ip, row.user_agent, row.details, row.prev_hash, row.hash];
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
