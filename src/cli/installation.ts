import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { ConfigError } from '../core/errors.js';
import { importOptional } from '../core/optional-dependency.js';
import type { CliConfig } from './config.js';

const { default: BetterSqlite3 } = await importOptional('better-sqlite3', () => import('better-sqlite3'), 'the gatehouse command');
const { default: pg } = await importOptional('pg', () => import('pg'), 'the gatehouse command');

/** The embedded SQLite database file in the data directory. */
export const DATABASE_FILE = 'gatehouse.db';

/**
 * The table the migrator keeps its history in (`migrationTableName` in src/stores/sql/migrations.ts):
 * present once the first migration ran, so it marks an installation.
 */
const MIGRATION_TABLE = 'gatehouse_migration';

/** How long to wait for PostgreSQL when looking for an installation. */
const PROBE_TIMEOUT_MS = 15_000;

/** Where the durable data lives, as the command resolves it. */
export type DataLocation =
  | { kind: 'sqlite'; file: string; /** What to call it in messages: the data directory, or the file of `sqlite:PATH`. */ name: string }
  | { kind: 'postgres'; url: string; schema: string; name: string };

/** The durable store the configuration names: PostgreSQL by `GATEHOUSE_DATABASE_URL`, else SQLite (in the data directory unless `sqlite:PATH`). */
export function dataLocation(config: CliConfig): DataLocation {
  const url = config.databaseUrl;
  if (url && /^postgres(ql)?:\/\//i.test(url)) {
    const schema = config.databaseSchema ?? 'public';
    const database = URL.canParse(url) ? decodeURIComponent(new URL(url).pathname.slice(1)) : '';
    // Never the URL itself: it may hold a password.
    return { kind: 'postgres', url, schema, name: `schema ${schema} of PostgreSQL database ${database || '(default)'}` };
  }
  if (url && !/^sqlite:/i.test(url)) {
    throw new ConfigError('GATEHOUSE_DATABASE_URL must be postgres://... or sqlite:PATH', 'ERR_INVALID_OPTION', 'databaseUrl');
  }
  if (url) {
    const file = resolve(url.replace(/^sqlite:(\/\/)?/i, ''));
    return { kind: 'sqlite', file, name: file };
  }
  return { kind: 'sqlite', file: join(config.dataDir, DATABASE_FILE), name: config.dataDir };
}

/**
 * Refuses, creating nothing, when the configured database holds no Gatehouse installation: so
 * that a mistyped `--data` or a command run in the wrong directory says so, instead of quietly
 * setting up an empty installation there. Only `gatehouse start` and `gatehouse migrate` create one.
 *
 * It reads the database itself rather than through a store: opening a store creates
 * the SQLite file, and the store contract has no "is this set up?" question (yet).
 */
export async function requireInstallation(config: CliConfig): Promise<void> {
  const location = dataLocation(config);
  const found = location.kind === 'sqlite' ? sqliteInstalled(location.file) : await postgresInstalled(location.url, location.schema);
  if (!found) {
    throw new ConfigError(`no Gatehouse data in ${location.name} (run \`gatehouse start\` or \`gatehouse migrate\` first)`, 'ERR_INVALID_OPTION', 'dataDir');
  }
}

function sqliteInstalled(file: string): boolean {
  if (!existsSync(file)) return false;
  let database: SqliteDatabase;
  try {
    // Not `readonly`: a read-only connection cannot recover a WAL file left by a process that
    // stopped, and fails where the store would not. Reading writes nothing to the file.
    database = new BetterSqlite3(file, { fileMustExist: true, timeout: 5000 });
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, 'ERR_INVALID_OPTION', 'dataDir');
  }
  try {
    return database.prepare(`select 1 from sqlite_master where type = 'table' and name = ?`).get(MIGRATION_TABLE) !== undefined;
  } catch (error) {
    // Not a SQLite file at all (SQLITE_NOTADB), or unreadable.
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, 'ERR_INVALID_OPTION', 'dataDir');
  } finally {
    database.close();
  }
}

async function postgresInstalled(url: string, schema: string): Promise<boolean> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    query_timeout: PROBE_TIMEOUT_MS,
    application_name: 'gatehouse-cli',
  });
  // A connection that fails later reports itself as an event too; the query's rejection says it.
  client.on('error', () => undefined);
  try {
    try {
      await client.connect();
    } catch (error) {
      const { message, code } = error as NodeJS.ErrnoException;
      // `||`, not `??`: a refused connection is an AggregateError whose message is empty.
      // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
      throw new ConfigError(`cannot reach PostgreSQL (GATEHOUSE_DATABASE_URL): ${message || code || 'connection failed'}`, 'ERR_INVALID_OPTION', 'databaseUrl');
    }
    const { rows } = await client.query('select 1 from pg_catalog.pg_tables where schemaname = $1 and tablename = $2', [schema, MIGRATION_TABLE]);
    return rows.length > 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}
