import { StoreConflictError, type ArtifactRecord, type ArtifactRepository, type Json } from '../contract.js';
import type { Clock } from '../../core/clock.js';
import { compareStrings, copyJson } from './record-table.js';

/**
 * Expired artifacts each write drops on its way, soonest expiry first. Each artifact is put once
 * and dropped once, so any bound above one keeps up with the writes that made them; the margin
 * drains a backlog (the clock jumped, writes paused) within a few writes' time.
 */
const SWEEP_PER_WRITE = 4;

/**
 * Short-lived artifacts held in process memory, a Map per kind; expiry is judged by the clock.
 *
 * Memory follows the live artifacts: every write first drops a few that have expired by the clock
 * (found through a min-heap of expiry times, with no scan), a read that meets an expired artifact
 * drops it, and `purgeExpired` drops the rest at once. Nothing live is ever dropped and there is no
 * cap: every live code, session, refresh token and access-token record stays in memory until it
 * expires or is deleted (a few hundred bytes each), which suits tests, development and a single
 * process, not a fleet.
 */
export class MemoryArtifactRepository implements ArtifactRepository {
  readonly #kinds = new Map<string, Map<string, Entry>>();
  readonly #expiries = new ExpiryHeap();
  /** The most recently put artifact of each owner, the head of that owner's list (see {@link Entry}). */
  readonly #owners = new Map<string, Entry>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async put(record: Omit<ArtifactRecord, 'consumedAt'>): Promise<void> {
    // As the Redis store does: NaN would break the expiry heap's order (and never expire).
    if (!Number.isFinite(record.expiresAt)) throw new TypeError(`expiresAt must be a finite number, got ${record.expiresAt}`);
    const now = this.#clock.now();
    this.#sweep(now, SWEEP_PER_WRITE);
    let ids = this.#kinds.get(record.kind);
    if (ids === undefined) this.#kinds.set(record.kind, (ids = new Map<string, Entry>()));
    const stored = ids.get(record.id);
    if (stored !== undefined) {
      // Only a live artifact conflicts: one past its expiry (not yet dropped) is replaced.
      if (stored.expiresAt > now) throw new StoreConflictError('id');
      this.#remove(stored);
    }
    const entry = new Entry(record.kind, record.id, copyJson(record.value), record.ownerId, record.expiresAt);
    ids.set(entry.id, entry);
    this.#expiries.push(entry);
    this.#link(entry);
  }

  async get<T extends Json = Json>(kind: string, id: string): Promise<ArtifactRecord<T> | undefined> {
    const entry = this.#live(kind, id);
    return entry === undefined ? undefined : copyOut<T>(entry);
  }

  async consume<T extends Json = Json>(kind: string, id: string, at: number): Promise<ArtifactRecord<T> | undefined> {
    // Check and set with no await in between, so exactly one racing caller wins.
    const entry = this.#live(kind, id);
    if (entry?.consumedAt !== null) return undefined;
    entry.consumedAt = at;
    return copyOut<T>(entry);
  }

  async delete(kind: string, id: string): Promise<boolean> {
    const entry = this.#kinds.get(kind)?.get(id);
    if (entry === undefined) return false;
    this.#remove(entry);
    return true;
  }

  async deleteByOwner(ownerId: string): Promise<number> {
    return this.deleteByOwnerNow(ownerId);
  }

  /** Synchronous {@link deleteByOwner}, so revoking a consent stays atomic. */
  deleteByOwnerNow(ownerId: string): number {
    let deleted = 0;
    for (let entry = this.#owners.get(ownerId); entry !== undefined; deleted += 1) {
      const next = entry.ownerNext;
      this.#remove(entry);
      entry = next;
    }
    return deleted;
  }

  async listByOwner<T extends Json = Json>(kind: string, ownerId: string, limit = 100): Promise<ArtifactRecord<T>[]> {
    const count = checkedLimit(limit);
    const now = this.#clock.now();
    const owned: Entry[] = [];
    for (let entry = this.#owners.get(ownerId); entry !== undefined; entry = entry.ownerNext) {
      if (entry.kind === kind && entry.expiresAt > now) owned.push(entry);
    }
    // Newest expiry first, ties by id descending, as the SQL store orders them.
    owned.sort((a, b) => b.expiresAt - a.expiresAt || compareStrings(b.id, a.id));
    return owned.slice(0, count).map((entry) => copyOut<T>(entry));
  }

  async purgeExpired(now: number): Promise<number> {
    return this.#sweep(now, Number.POSITIVE_INFINITY);
  }

  /** The stored entry unless unknown or expired; an expired one found here is dropped. */
  #live(kind: string, id: string): Entry | undefined {
    const entry = this.#kinds.get(kind)?.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.#clock.now()) return entry;
    this.#remove(entry);
    return undefined;
  }

  /** Drops up to `max` artifacts that expired by `now`, soonest expiry first; returns how many. */
  #sweep(now: number, max: number): number {
    let dropped = 0;
    for (let entry = this.#expiries.first(); entry !== undefined && entry.expiresAt <= now && dropped < max; entry = this.#expiries.first()) {
      this.#remove(entry);
      dropped += 1;
    }
    return dropped;
  }

  /** Takes a stored entry out of its kind's Map, the expiry heap and its owner's list. */
  #remove(entry: Entry): void {
    this.#kinds.get(entry.kind)?.delete(entry.id);
    this.#expiries.remove(entry);
    this.#unlink(entry);
  }

  /** Puts the entry at the head of its owner's list. */
  #link(entry: Entry): void {
    if (entry.ownerId === null) return;
    const head = this.#owners.get(entry.ownerId);
    if (head !== undefined) {
      head.ownerPrev = entry;
      entry.ownerNext = head;
    }
    this.#owners.set(entry.ownerId, entry);
  }

  #unlink(entry: Entry): void {
    if (entry.ownerId === null) return;
    const { ownerPrev: prev, ownerNext: next } = entry;
    if (prev !== undefined) prev.ownerNext = next;
    else if (next !== undefined) this.#owners.set(entry.ownerId, next);
    else this.#owners.delete(entry.ownerId);
    if (next !== undefined) next.ownerPrev = prev;
    entry.ownerPrev = undefined;
    entry.ownerNext = undefined;
  }
}

/**
 * A stored artifact. Besides the record (its value a private copy), it knows its place in the
 * expiry heap and its neighbours among the artifacts of the same owner: a doubly linked list per
 * owner, so deleting or listing by owner visits only that owner's artifacts, at two fields per
 * artifact rather than a Set per owner.
 */
class Entry {
  readonly kind: string;
  readonly id: string;
  readonly value: Json;
  readonly ownerId: string | null;
  readonly expiresAt: number;
  consumedAt: number | null = null;
  /** Index in {@link ExpiryHeap}; -1 once removed from it. */
  heapIndex = -1;
  ownerPrev: Entry | undefined = undefined;
  ownerNext: Entry | undefined = undefined;

  constructor(kind: string, id: string, value: Json, ownerId: string | null, expiresAt: number) {
    this.kind = kind;
    this.id = id;
    this.value = value;
    this.ownerId = ownerId;
    this.expiresAt = expiresAt;
  }
}

/** A copy of the record an entry holds, for a caller to keep or change. */
function copyOut<T extends Json>(entry: Entry): ArtifactRecord<T> {
  return {
    kind: entry.kind,
    id: entry.id,
    value: copyJson(entry.value) as T,
    ownerId: entry.ownerId,
    expiresAt: entry.expiresAt,
    consumedAt: entry.consumedAt,
  };
}

/**
 * Entries in a binary min-heap by `expiresAt`: the soonest expiry is always first, and an entry
 * knows its own index, so removing any one of them (a delete, an owner's artifacts, a replacement) is O(log n).
 */
class ExpiryHeap {
  readonly #items: Entry[] = [];

  /** The entry with the soonest expiry. */
  first(): Entry | undefined {
    return this.#items[0];
  }

  push(entry: Entry): void {
    entry.heapIndex = this.#items.length;
    this.#items.push(entry);
    this.#siftUp(entry.heapIndex);
  }

  remove(entry: Entry): void {
    const index = entry.heapIndex;
    if (index < 0) return;
    entry.heapIndex = -1;
    const last = this.#items.pop()!;
    if (last === entry) return;
    this.#place(last, index);
    // The entry moved into the gap may belong above or below it.
    this.#siftUp(index);
    this.#siftDown(last.heapIndex);
  }

  #siftUp(start: number): void {
    const items = this.#items;
    const entry = items[start]!;
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex]!;
      if (parent.expiresAt <= entry.expiresAt) break;
      this.#place(parent, index);
      index = parentIndex;
    }
    this.#place(entry, index);
  }

  #siftDown(start: number): void {
    const items = this.#items;
    const entry = items[start]!;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right]!.expiresAt < items[left]!.expiresAt ? right : left;
      const smaller = items[child]!;
      if (smaller.expiresAt >= entry.expiresAt) break;
      this.#place(smaller, index);
      index = child;
    }
    this.#place(entry, index);
  }

  #place(entry: Entry, index: number): void {
    this.#items[index] = entry;
    entry.heapIndex = index;
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
