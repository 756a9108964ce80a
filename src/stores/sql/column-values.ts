import type { ListOptions } from '../contract.js';

/** Reads a `Millis` column: PostgreSQL hands `bigint` back as a string. */
export function toMillis(value: number | string): number {
  return Number(value);
}

/** {@link toMillis} for nullable columns. */
export function toMillisOrNull(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

/**
 * LIMIT and OFFSET for a page. SQLite only accepts OFFSET after a LIMIT and the two dialects spell
 * "no limit" differently (`-1`, `ALL`), so "no limit" is the largest safe integer.
 */
export function pageOf(options: ListOptions = {}): { limit: number; offset: number } {
  return { limit: options.limit ?? Number.MAX_SAFE_INTEGER, offset: options.offset ?? 0 };
}

/**
 * `limit` itself, once known to be a count. Checked rather than passed on, because SQLite reads a
 * negative LIMIT as "no limit" and PostgreSQL rejects it.
 */
export function checkedLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError(`limit must be a non-negative integer, got ${limit}`);
  return limit;
}
