import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import { importOptional } from '../../core/optional-dependency.js';
import type { Store } from '../contract.js';
import { createSqlStore, type Database } from '../sql/index.js';
import { sqliteStatements } from './sqlite-statements.js';
import { startWalCheckpoints, type WalCheckpointTuning } from './wal-checkpoints.js';

const { default: BetterSqlite3 } = await importOptional('better-sqlite3', () => import('better-sqlite3'), 'gatehouse/stores/sqlite');

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; its directory is created if missing. `':memory:'` for a throwaway database. */
  filename: string;
  /** Judges artifact expiry; defaults to the system clock. */
  clock?: Clock;
  /**
   * Longest wait for the database lock while another process (a `gatehouse` command, a backup)
   * writes, in milliseconds; then the statement fails with `SQLITE_BUSY` (a server answers 503).
   * The wait blocks the process (better-sqlite3 is synchronous). `0` fails at once. Default
   * {@link DEFAULT_SQLITE_BUSY_TIMEOUT_MS}.
   */
  busyTimeoutMs?: number;
}

/** Default of {@link SqliteStoreOptions.busyTimeoutMs}: 5 s. */
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * A store in a SQLite file (better-sqlite3), for single-node deployments. The schema is not
 * migrated here: call `store.migrate()` before use (the server does so on start).
 *
 * The hot paths (artifacts, lookups by id) run statements prepared once on the store's connection;
 * the rest goes through Kysely on the same connection. WAL checkpoints run in a worker thread on a
 * connection of their own (see `startWalCheckpoints`), so their fsyncs never stall the event loop;
 * `close()` stops it.
 *
 * @example
 * const store = createSqliteStore({ filename: './data/gatehouse.db' });
 * await store.migrate();
 *
 * @throws {ConfigError} a `TypeError` naming the invalid option.
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  return openSqliteStore(options).store;
}

/**
 * {@link createSqliteStore}, also handing out the Kysely instance behind the store, and taking the
 * checkpoint thread's tuning. Not exported from the package: tests use both.
 *
 * @internal
 */
export function openSqliteStore(options: SqliteStoreOptions, tuning: { checkpoints?: WalCheckpointTuning } = {}): { store: Store; db: Kysely<Database> } {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new ConfigError('option "busyTimeoutMs" must be a whole number of milliseconds (0: no wait)', 'ERR_INVALID_OPTION', 'busyTimeoutMs');
  }
  const inFile = options.filename !== ':memory:' && options.filename !== '';
  if (inFile) mkdirSync(dirname(options.filename), { recursive: true });
  const database = new BetterSqlite3(options.filename);
  // WAL lets readers run beside the writer; NORMAL is durable under WAL except on power loss
  // mid-checkpoint; busy_timeout makes a second process wait for the lock instead of failing at once.
  const journalMode: unknown = database.pragma('journal_mode = WAL', { simple: true });
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma(`busy_timeout = ${busyTimeoutMs}`);
  // A file another connection can open, in WAL mode: its checkpoints can move to a thread.
  const stopCheckpoints = inFile && journalMode === 'wal' ? startWalCheckpoints(database, options.filename, tuning.checkpoints) : undefined;
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  const store = createSqlStore(db, {
    dialect: 'sqlite',
    clock: options.clock,
    statements: sqliteStatements(database, db),
    onClose: stopCheckpoints,
  });
  return { store, db };
}
