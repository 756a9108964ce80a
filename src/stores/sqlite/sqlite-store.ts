import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { importOptional } from '../../core/optional-dependency.js';
import type { Store } from '../contract.js';
import { createSqlStore, type Database } from '../sql/index.js';

const { default: BetterSqlite3 } = await importOptional('better-sqlite3', () => import('better-sqlite3'), 'gatehouse/stores/sqlite');

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; its directory is created if missing. `':memory:'` for a throwaway database. */
  filename: string;
  /** Judges artifact expiry; defaults to the system clock. */
  clock?: Clock;
}

/**
 * A store in a SQLite file (better-sqlite3), for single-node deployments. The schema is not
 * migrated here: call `store.migrate()` before use (the server does so on start).
 *
 * @example
 * const store = createSqliteStore({ filename: './data/gatehouse.db' });
 * await store.migrate();
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  if (options.filename !== ':memory:' && options.filename !== '') {
    mkdirSync(dirname(options.filename), { recursive: true });
  }
  const database = new BetterSqlite3(options.filename);
  // WAL lets readers run beside the writer; NORMAL is durable under WAL except on power loss
  // mid-checkpoint; busy_timeout makes a second process wait for the lock instead of failing.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return createSqlStore(db, { dialect: 'sqlite', clock: options.clock });
}
