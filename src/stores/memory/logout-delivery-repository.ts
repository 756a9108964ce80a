import { StoreConflictError, type LogoutDeliveryRecord, type LogoutDeliveryRepository } from '../contract.js';
import { randomUUID } from 'node:crypto';

/** The back-channel logout queue in process memory: each call runs in one turn, so claims never overlap. */
export class MemoryLogoutDeliveryRepository implements LogoutDeliveryRepository {
  readonly #records = new Map<string, LogoutDeliveryRecord>();

  async enqueue(records: readonly LogoutDeliveryRecord[]): Promise<void> {
    const ids = new Set<string>();
    for (const record of records) {
      if (this.#records.has(record.id) || ids.has(record.id)) throw new StoreConflictError('id');
      ids.add(record.id);
    }
    for (const record of records) this.#records.set(record.id, { ...record });
  }

  async claim(now: number, leaseMs: number, limit: number): Promise<LogoutDeliveryRecord[]> {
    const due = this.#due(now).slice(0, limit);
    for (const record of due) {
      record.attempts += 1;
      record.lease = randomUUID();
      record.dueAt = now + leaseMs;
    }
    return due.map((record) => ({ ...record }));
  }

  async complete(id: string, lease: string): Promise<boolean> {
    if (this.#records.get(id)?.lease !== lease) return false;
    return this.#records.delete(id);
  }

  async retryAt(id: string, lease: string, dueAt: number): Promise<boolean> {
    const record = this.#records.get(id);
    if (record?.lease !== lease) return false;
    record.dueAt = dueAt;
    return true;
  }

  async list(limit = 100): Promise<LogoutDeliveryRecord[]> {
    return this.#due(Infinity)
      .slice(0, limit)
      .map((record) => ({ ...record }));
  }

  #due(now: number): LogoutDeliveryRecord[] {
    return [...this.#records.values()].filter((record) => record.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt);
  }
}
