import { ConfigError } from '../../core/errors.js';
import {
  checkAuditCountsQuery,
  type AuditCount,
  type AuditCountsQuery,
  type AuditEventRecord,
  type AuditQuery,
  type AuditRepository,
  type NewAuditEvent,
} from '../contract.js';
import { copyJson } from './record-table.js';

/** Default page size of {@link MemoryAuditRepository.list}, as in the contract. */
const DEFAULT_LIST_LIMIT = 1000;

/** How many audit events a memory store keeps unless told otherwise (`maxAuditEvents`). */
const DEFAULT_MAX_AUDIT_EVENTS = 10_000;

/**
 * The audit log held in an array, in `seq` order: only the newest `maxEvents` (default
 * {@link DEFAULT_MAX_AUDIT_EVENTS}), so a long-running process does not grow without bound. The
 * oldest are dropped as new ones come; {@link droppedThrough} says up to where, and `list`, `tail`
 * and `verifyAuditLog` work on what is kept. Durable in the SQL stores; here it lives as long as the
 * process.
 */
export class MemoryAuditRepository implements AuditRepository {
  /** Kept events from index {@link #first} on; the slots before it were dropped and are compacted away now and then. */
  #events: AuditEventRecord[] = [];
  #first = 0;
  #droppedThrough = 0;
  readonly #maxEvents: number;

  /**
   * @param maxEvents how many of the newest events to keep: a positive whole number, or `Infinity`.
   * @throws {ConfigError} for any other value.
   */
  constructor(maxEvents = DEFAULT_MAX_AUDIT_EVENTS) {
    if (!((Number.isSafeInteger(maxEvents) && maxEvents >= 1) || maxEvents === Number.POSITIVE_INFINITY)) {
      throw new ConfigError(
        `option "maxAuditEvents" must be a positive whole number or Infinity, got ${String(maxEvents)}`,
        'ERR_INVALID_OPTION',
        'maxAuditEvents',
      );
    }
    this.#maxEvents = maxEvents;
  }

  async append(event: NewAuditEvent, chain: (prevHash: string, seq: number) => string): Promise<AuditEventRecord> {
    return this.#appendNow([event], chain)[0]!;
  }

  async appendMany(events: readonly NewAuditEvent[], chain: (prevHash: string, seq: number, index: number) => string): Promise<AuditEventRecord[]> {
    return this.#appendNow(events, chain);
  }

  async list(options: { afterSeq?: number; limit?: number; type?: string } = {}): Promise<AuditEventRecord[]> {
    const { afterSeq = 0, limit = DEFAULT_LIST_LIMIT, type } = options;
    checkedLimit(limit);
    const found: AuditEventRecord[] = [];
    // Numbers are consecutive, so the first event after `afterSeq` is found by arithmetic.
    const firstSeq = this.#events[this.#first]?.seq ?? 0;
    const start = this.#first + Math.max(0, Math.floor(afterSeq) - firstSeq + 1);
    for (let i = start; i < this.#events.length && found.length < limit; i += 1) {
      const event = this.#events[i]!;
      if (type === undefined || event.type === type) found.push(copy(event));
    }
    return found;
  }

  async tail(limit: number, type?: string): Promise<AuditEventRecord[]> {
    checkedLimit(limit);
    const found: AuditEventRecord[] = [];
    for (let i = this.#events.length - 1; i >= this.#first && found.length < limit; i -= 1) {
      const event = this.#events[i]!;
      if (type === undefined || event.type === type) found.push(copy(event));
    }
    return found;
  }

  async query(query: AuditQuery): Promise<AuditEventRecord[]> {
    checkedLimit(query.limit);
    const matches = auditMatcher(query);
    const found: AuditEventRecord[] = [];
    // Numbers are consecutive, so the newest event before `beforeSeq` is found by arithmetic.
    const firstSeq = this.#events[this.#first]?.seq ?? 0;
    let start = this.#events.length - 1;
    if (query.beforeSeq !== undefined) start = Math.min(start, this.#first + Math.ceil(query.beforeSeq) - 1 - firstSeq);
    if (query.afterSeq !== undefined) {
      // The page just above `afterSeq`: read upwards from it, then turned newest first.
      for (let i = this.#first + Math.max(0, Math.floor(query.afterSeq) - firstSeq + 1); i <= start && found.length < query.limit; i += 1) {
        const event = this.#events[i]!;
        if (matches(event)) found.push(copy(event));
      }
      return found.reverse();
    }
    for (let i = start; i >= this.#first && found.length < query.limit; i -= 1) {
      const event = this.#events[i]!;
      if (matches(event)) found.push(copy(event));
    }
    return found;
  }

  async counts(query: AuditCountsQuery): Promise<AuditCount[]> {
    checkAuditCountsQuery(query);
    const { from, to, bucketMs } = query;
    const types = new Set(query.types);
    const counted = new Map<string, AuditCount>();
    for (let i = this.#first; i < this.#events.length; i += 1) {
      const { time, type } = this.#events[i]!;
      if (time < from || time >= to || !types.has(type)) continue;
      const bucket = from + Math.floor((time - from) / bucketMs) * bucketMs;
      const key = `${bucket}|${type}`;
      const entry = counted.get(key);
      if (entry) entry.count += 1;
      else counted.set(key, { type, bucket, count: 1 });
    }
    return [...counted.values()];
  }

  async droppedThrough(): Promise<number> {
    return this.#droppedThrough;
  }

  #appendNow(events: readonly NewAuditEvent[], chain: (prevHash: string, seq: number, index: number) => string): AuditEventRecord[] {
    // Read the last event, chain and push with no await in between, so racing appends never fork;
    // every hash is computed before anything is pushed, so a throwing `chain` stores nothing.
    const last = this.#events.at(-1);
    let seq = last?.seq ?? 0;
    let prevHash = last?.hash ?? '';
    const records = events.map((event, index) => {
      seq += 1;
      const record = toRecord(event, seq, prevHash, chain(prevHash, seq, index));
      prevHash = record.hash;
      return record;
    });
    for (const record of records) this.#events.push(record);
    this.#dropOldest();
    return records.map(copy);
  }

  /** Drops what exceeds the bound; the array is compacted once dropped slots outnumber kept ones (amortised O(1)). */
  #dropOldest(): void {
    const excess = this.#events.length - this.#first - this.#maxEvents;
    if (excess <= 0) return;
    this.#first += excess;
    this.#droppedThrough = this.#events[this.#first - 1]!.seq;
    if (this.#first >= this.#events.length - this.#first) {
      this.#events = this.#events.slice(this.#first);
      this.#first = 0;
    }
  }
}

/**
 * The record as kept, sharing nothing with the caller's event. `details` go through JSON, as the SQL
 * store keeps them: keys whose value is undefined are gone. (A field-by-field copy and one JSON trip
 * for `details` cost a quarter of a `structuredClone` of the event.)
 */
function toRecord(event: NewAuditEvent, seq: number, prevHash: string, hash: string): AuditEventRecord {
  return {
    seq,
    time: event.time,
    type: event.type,
    outcome: event.outcome,
    requestId: event.requestId,
    clientId: event.clientId,
    subject: event.subject,
    ip: event.ip,
    userAgent: event.userAgent,
    details: JSON.parse(JSON.stringify(event.details)) as AuditEventRecord['details'],
    prevHash,
    hash,
  };
}

/** A copy handed out: `details` (already plain JSON) is the only member that is not a primitive. */
function copy(event: AuditEventRecord): AuditEventRecord {
  return { ...event, details: copyJson(event.details) };
}

/** Whether an event passes every filter of `query` but the cursor and the limit. */
function auditMatcher(query: AuditQuery): (event: AuditEventRecord) => boolean {
  const types = query.types === undefined ? undefined : new Set(query.types);
  return (event) =>
    (query.from === undefined || event.time >= query.from) &&
    (query.to === undefined || event.time < query.to) &&
    (types === undefined || types.has(event.type)) &&
    (query.subject === undefined || event.subject === query.subject) &&
    (query.clientId === undefined || event.clientId === query.clientId) &&
    (query.ip === undefined || event.ip === query.ip) &&
    (query.outcome === undefined || event.outcome === query.outcome);
}

/** Throws unless `limit` is a count, as the SQL store does. */
function checkedLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError(`limit must be a non-negative integer, got ${limit}`);
}
