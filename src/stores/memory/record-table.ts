import { StoreConflictError, type ListOptions } from '../contract.js';

/**
 * A keyed collection of records for the in-memory store. Records are copied on the way in and on
 * the way out ({@link copyJson}), so callers never share (and cannot mutate) stored state.
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
    return row === undefined ? undefined : copyJson(row);
  }

  /** The stored (uncopied) record under `key`: for checks and in-place changes inside this store only. */
  stored(key: string): T | undefined {
    return this.#rows.get(key);
  }

  /** Whether a record is stored under `key`. */
  has(key: string): boolean {
    return this.#rows.has(key);
  }

  /** Adds a record; throws {@link StoreConflictError} with `field` when its key is taken. */
  insert(record: T, field: string): void {
    const key = this.#keyOf(record);
    if (this.#rows.has(key)) throw new StoreConflictError(field);
    this.#rows.set(key, copyJson(record));
  }

  /** Replaces the record with the same key; false when there is none. */
  replace(record: T): boolean {
    const key = this.#keyOf(record);
    if (!this.#rows.has(key)) return false;
    this.#rows.set(key, copyJson(record));
    return true;
  }

  /** Removes the record stored under `key`; false when there is none. */
  delete(key: string): boolean {
    return this.#rows.delete(key);
  }

  /** Stored records matching `predicate`, uncopied: for checks and in-place changes inside this store only. */
  *scan(predicate: (record: T) => boolean = () => true): Generator<T> {
    for (const row of this.#rows.values()) if (predicate(row)) yield row;
  }

  /** Copies of matching records, oldest first (ties broken by key), then paged. */
  list(options: ListOptions = {}, predicate?: (record: T) => boolean): T[] {
    const rows = [...this.scan(predicate)].sort((a, b) => a.createdAt - b.createdAt || compareStrings(this.#keyOf(a), this.#keyOf(b)));
    const start = options.offset ?? 0;
    const end = options.limit === undefined ? undefined : start + options.limit;
    return rows.slice(start, end).map(copyJson);
  }
}

/**
 * A deep copy of a JSON value (objects, arrays, primitives; `undefined` members kept), for the
 * records of the memory store. About eight times faster than `structuredClone` for them, which pays
 * for a format able to carry any structured value (measured on a client record: 2.3 µs against
 * 0.3 µs). A copy rather than a frozen original, because callers may change what they are handed.
 *
 * @example
 * const copy = copyJson({ scopes: ['openid'] }); // a new object with a new array
 */
export function copyJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const items: unknown[] = value;
    const copy: unknown[] = new Array(items.length);
    for (let i = 0; i < items.length; i += 1) copy[i] = copyJson(items[i]);
    return copy as T;
  }
  const members = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(members)) {
    // Assigning `__proto__` would set the copy's prototype instead of adding the member that
    // JSON.parse made of it; define it as a plain member, as the original has it.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: copyJson(members[key]), enumerable: true, writable: true, configurable: true });
    else copy[key] = copyJson(members[key]);
  }
  return copy as T;
}

/** Code-unit order, like SQL's default binary collation, so every backend sorts ties alike. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
