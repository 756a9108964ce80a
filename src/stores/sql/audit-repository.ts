import type { Selectable } from 'kysely';
import { StoreConflictError, type AuditEventRecord, type AuditRepository, type Json } from '../contract.js';
import { asConflict, primaryKeyField } from './conflicts.js';
import { checkedLimit, toMillis } from './column-values.js';
import type { SqlContext } from './context.js';
import type { AuditEventsTable } from './schema.js';

/** Default page size of {@link SqlAuditRepository.list}, as in the contract. */
const DEFAULT_LIST_LIMIT = 1000;
/** How often an append that lost the race for its `seq` to another process tries again. */
const MAX_APPEND_ATTEMPTS = 50;

/**
 * The audit log in the `audit_events` table.
 *
 * Appending is read-last-then-insert, kept race-free by the primary key rather than by locks, so it
 * is the same on SQLite and PostgreSQL: of several writers that read the same last event and
 * insert the same `seq`, exactly one succeeds; the others read the new last event and try again.
 * Since a row is only ever inserted, the `prev_hash` a writer read stays the hash of `seq - 1`.
 */
export class SqlAuditRepository implements AuditRepository {
  readonly #ctx: SqlContext;
  /** Appends of this process, one after another: only appends from other processes race. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  append(event: Omit<AuditEventRecord, 'seq' | 'prevHash' | 'hash'>, chain: (prevHash: string, seq: number) => string): Promise<AuditEventRecord> {
    const appended = this.#queue.then(() => this.#appendRacing(event, chain));
    this.#queue = appended.catch(() => undefined);
    return appended;
  }

  async #appendRacing(event: Omit<AuditEventRecord, 'seq' | 'prevHash' | 'hash'>, chain: (prevHash: string, seq: number) => string): Promise<AuditEventRecord> {
    for (let attempt = 1; ; attempt += 1) {
      const last = await this.#ctx.db.selectFrom('audit_events').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      const seq = (last === undefined ? 0 : Number(last.seq)) + 1;
      const prevHash = last?.hash ?? '';
      const row = toRow({ ...event, seq, prevHash, hash: chain(prevHash, seq) });
      try {
        await this.#ctx.db.insertInto('audit_events').values(row).execute();
        // Read back from the row, so the caller sees exactly what a later list() returns.
        return fromRow(row);
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
