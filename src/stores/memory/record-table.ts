import { StoreConflictError, type ListOptions } from '../contract.js';

/**
 * A keyed collection of records for the in-memory store. Records are cloned on the way in and on
 * the way out, so callers never share (and cannot mutate) stored state.
 */
export class RecordTable<T extends { createdAt: number }> {
  readonly #rows = new Map<string, T>();
  readonly #keyOf: (record: T) => string;

  /** @param keyOf extracts the primary key of a record. */
  constructor(keyOf: (record: T) => string) {
    this.#keyOf = keyOf;
  }

  /** A copy of the record stored under `key`. */
  get(key: string): T | undefined {
    const row = this.#rows.get(key);
    return row === undefined ? undefined : structuredClone(row);
  }

  /** Whether a record is stored under `key`. */
  has(key: string): boolean {
    return this.#rows.has(key);
  }

  /** Adds a record; throws {@link StoreConflictError} with `field` when its key is taken. */
  insert(record: T, field: string): void {
    const key = this.#keyOf(record);
    if (this.#rows.has(key)) throw new StoreConflictError(field);
    this.#rows.set(key, structuredClone(record));
  }

  /** Replaces the record with the same key; false when there is none. */
  replace(record: T): boolean {
    const key = this.#keyOf(record);
    if (!this.#rows.has(key)) return false;
    this.#rows.set(key, structuredClone(record));
    return true;
  }

  /** Removes the record stored under `key`; false when there is none. */
  delete(key: string): boolean {
    return this.#rows.delete(key);
  }

  /** Stored records matching `predicate`, uncloned: for checks and in-place changes inside this store only. */
  *scan(predicate: (record: T) => boolean = () => true): Generator<T> {
    for (const row of this.#rows.values()) if (predicate(row)) yield row;
  }

  /** Copies of matching records, oldest first (ties broken by key), then paged. */
  list(options: ListOptions = {}, predicate?: (record: T) => boolean): T[] {
    const rows = [...this.scan(predicate)].sort((a, b) => a.createdAt - b.createdAt || compareStrings(this.#keyOf(a), this.#keyOf(b)));
    const start = options.offset ?? 0;
    const end = options.limit === undefined ? undefined : start + options.limit;
    return structuredClone(rows.slice(start, end));
  }
}

/** Code-unit order, like SQL's default binary collation, so every backend sorts ties alike. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
