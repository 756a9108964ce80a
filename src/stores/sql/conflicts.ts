import { StoreConflictError } from '../contract.js';

/** SQL dialects the shared SQL store runs on. */
export type SqlDialectName = 'sqlite' | 'postgres';

const SQLITE_UNIQUE_CODES = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
const POSTGRES_UNIQUE_VIOLATION = '23505';

/**
 * Turns a driver's unique-violation error into a {@link StoreConflictError}; any other error is
 * returned unchanged, so callers can always `throw asConflict(...)`.
 *
 * @param fieldOf picks the contract field from the name of the violated constraint. SQLite
 *   names it in the message (`UNIQUE constraint failed: index 'users_email_unique'` or
 *   `... users.id`), PostgreSQL in `error.constraint` (`users_email_unique`, `users_pkey`).
 */
export function asConflict(error: unknown, dialect: SqlDialectName, fieldOf: (constraint: string) => string): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const { code, message, constraint } = error as { code?: unknown; message?: unknown; constraint?: unknown };
  if (dialect === 'sqlite' && typeof code === 'string' && SQLITE_UNIQUE_CODES.has(code)) {
    return new StoreConflictError(fieldOf(String(message)));
  }
  if (dialect === 'postgres' && code === POSTGRES_UNIQUE_VIOLATION) {
    return new StoreConflictError(fieldOf(String(constraint ?? message)));
  }
  return error;
}

/** A `fieldOf` for tables whose only uniqueness rule is their primary key. */
export function primaryKeyField(field: string): (constraint: string) => string {
  return () => field;
}
