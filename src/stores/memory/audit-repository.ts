import type { AuditEventRecord, AuditRepository } from '../contract.js';

/** Default page size of {@link MemoryAuditRepository.list}, as in the contract. */
const DEFAULT_LIST_LIMIT = 1000;

/**
 * The audit log held in an array, in `seq` order. Durable in the SQL stores; here it lives as long
 * as the process.
 */
export class MemoryAuditRepository implements AuditRepository {
  readonly #events: AuditEventRecord[] = [];

  async append(event: Omit<AuditEventRecord, 'seq' | 'prevHash' | 'hash'>, chain: (prevHash: string, seq: number) => string): Promise<AuditEventRecord> {
    // Read the last event, chain and push with no await in between, so racing appends never fork.
    const last = this.#events.at(-1);
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last?.hash ?? '';
    // `details` through JSON, as the SQL store keeps it: keys whose value is undefined are gone.
    const details = JSON.parse(JSON.stringify(event.details)) as AuditEventRecord['details'];
    const record: AuditEventRecord = { ...structuredClone(event), details, seq, prevHash, hash: chain(prevHash, seq) };
    this.#events.push(record);
    return structuredClone(record);
  }

  async list(options: { afterSeq?: number; limit?: number; type?: string } = {}): Promise<AuditEventRecord[]> {
    const { afterSeq = 0, limit = DEFAULT_LIST_LIMIT, type } = options;
    checkedLimit(limit);
    const found: AuditEventRecord[] = [];
    for (const event of this.#events) {
      if (found.length >= limit) break;
      if (event.seq > afterSeq && (type === undefined || event.type === type)) found.push(event);
    }
    return structuredClone(found);
  }

  async tail(limit: number, type?: string): Promise<AuditEventRecord[]> {
    checkedLimit(limit);
    const found: AuditEventRecord[] = [];
    for (let i = this.#events.length - 1; i >= 0 && found.length < limit; i -= 1) {
      const event = this.#events[i]!;
      if (type === undefined || event.type === type) found.push(event);
    }
    return structuredClone(found);
  }
}

/** Throws unless `limit` is a count, as the SQL store does. */
function checkedLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError(`limit must be a non-negative integer, got ${limit}`);
}
