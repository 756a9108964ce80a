import { sql, type RawBuilder } from 'kysely';

/**
 * What a PostgreSQL advisory lock of Gatehouse serialises: applying migrations (a session lock,
 * held around the migrator's transaction), or appending to the audit chain (a transaction lock,
 * held from reading the chain's last event to the commit of the events after it).
 */
export type SchemaLockPurpose = 'migrations' | 'audit appends';

/**
 * The key of the advisory lock of `purpose` in `schema`: its id is `hashtextextended(key, 0)`
 * ({@link lockId}, {@link LOCK_ID_SQL}), computed by PostgreSQL. One lock a schema, so instances
 * on one schema wait for each other while installations in other schemas of the database never
 * do. Tests and operators take the same lock with
 * `select pg_advisory_lock(hashtextextended('gatehouse migrations <schema>', 0))`.
 *
 * @example
 * schemaLockKey('audit appends', 'public'); // 'gatehouse audit appends public'
 */
export function schemaLockKey(purpose: SchemaLockPurpose, schema: string): string {
  return `gatehouse ${purpose} ${schema}`;
}

/** The id of the lock whose key is bound to the `?`, for a hand-written statement. */
export const LOCK_ID_SQL = 'hashtextextended(?, 0)';

/** The id of the lock of `key` in a Kysely `sql` template: {@link LOCK_ID_SQL} with `key` bound. */
export function lockId(key: string): RawBuilder<string> {
  return sql<string>`hashtextextended(${key}, 0)`;
}
