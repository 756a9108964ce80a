import { StoreConflictError, type ArtifactRecord, type ArtifactRepository, type Json } from '../contract.js';
import type { Clock } from '../../core/clock.js';
import { compareStrings } from './record-table.js';

/** Short-lived artifacts held in a Map per kind; expiry is judged by the clock. */
export class MemoryArtifactRepository implements ArtifactRepository {
  readonly #kinds = new Map<string, Map<string, ArtifactRecord>>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async put(record: Omit<ArtifactRecord, 'consumedAt'>): Promise<void> {
    let ids = this.#kinds.get(record.kind);
    if (ids === undefined) this.#kinds.set(record.kind, (ids = new Map<string, ArtifactRecord>()));
    // Only a live artifact conflicts: one past its expiry (not yet purged) is replaced.
    if (this.#live(record.kind, record.id) !== undefined) throw new StoreConflictError('id');
    ids.set(record.id, structuredClone({ ...record, consumedAt: null }));
  }

  async get<T extends Json = Json>(kind: string, id: string): Promise<ArtifactRecord<T> | undefined> {
    const record = this.#live(kind, id);
    return record === undefined ? undefined : (structuredClone(record) as ArtifactRecord<T>);
  }

  async consume<T extends Json = Json>(kind: string, id: string, at: number): Promise<ArtifactRecord<T> | undefined> {
    // Check and set with no await in between, so exactly one racing caller wins.
    const record = this.#live(kind, id);
    if (record?.consumedAt !== null) return undefined;
    record.consumedAt = at;
    return structuredClone(record) as ArtifactRecord<T>;
  }

  async delete(kind: string, id: string): Promise<boolean> {
    return this.#kinds.get(kind)?.delete(id) ?? false;
  }

  async deleteByOwner(ownerId: string): Promise<number> {
    return this.deleteByOwnerNow(ownerId);
  }

  /** Synchronous {@link deleteByOwner}, so revoking a consent stays atomic. */
  deleteByOwnerNow(ownerId: string): number {
    return this.#deleteWhere((record) => record.ownerId === ownerId);
  }

  async listByOwner<T extends Json = Json>(kind: string, ownerId: string, limit = 100): Promise<ArtifactRecord<T>[]> {
    const now = this.#clock.now();
    const owned = [...(this.#kinds.get(kind)?.values() ?? [])].filter((record) => record.ownerId === ownerId && record.expiresAt > now);
    // Newest expiry first, ties by id descending, as the SQL store orders them.
    owned.sort((a, b) => b.expiresAt - a.expiresAt || compareStrings(b.id, a.id));
    return structuredClone(owned.slice(0, checkedLimit(limit))) as ArtifactRecord<T>[];
  }

  async purgeExpired(now: number): Promise<number> {
    return this.#deleteWhere((record) => record.expiresAt <= now);
  }

  /** The stored (uncloned) record unless unknown or expired. */
  #live(kind: string, id: string): ArtifactRecord | undefined {
    const record = this.#kinds.get(kind)?.get(id);
    return record !== undefined && record.expiresAt > this.#clock.now() ? record : undefined;
  }

  #deleteWhere(predicate: (record: ArtifactRecord) => boolean): number {
    let deleted = 0;
    for (const ids of this.#kinds.values()) {
      for (const [id, record] of ids) {
        if (predicate(record)) {
          ids.delete(id);
          deleted += 1;
        }
      }
    }
    return deleted;
  }
}

/**
 * `limit` itself, once known to be a count. Checked rather than passed on, because a negative or
 * fractional limit means something different to `Array.slice`, SQLite and PostgreSQL.
 */
function checkedLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError(`limit must be a non-negative integer, got ${limit}`);
  return limit;
}
