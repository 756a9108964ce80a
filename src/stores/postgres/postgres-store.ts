import { Kysely, PostgresAdapter, PostgresDialect, sql, type DatabaseIntrospector, type DialectAdapter, type TableMetadata } from 'kysely';
import type { Pool, PoolConfig } from 'pg';
import type { Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import { requireObject } from '../../core/option-checks.js';
import { importOptional } from '../../core/optional-dependency.js';
import type { Store } from '../contract.js';
import { createSqlStore, migrateToLatest, migrations, type Database } from '../sql/index.js';
import { postgresStatements } from './postgres-statements.js';
import { closeOnQueryTimeout } from './query-deadline.js';
import { lockId, schemaLockKey } from './schema-locks.js';

const { default: pg } = await importOptional('pg', () => import('pg'), 'gatehouse/stores/postgres');

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions {
  /**
   * `postgres://user:password@host:5432/database` (also `postgresql://`); query parameters such as
   * `sslmode` are read by `pg`. An `options` parameter is kept, but cannot override the schema or
   * the timeouts below.
   */
  connectionString: string;
  /** Most connections open at once (`pg.Pool` `max`). Default 10. */
  poolSize?: number;
  /**
   * Longest a statement may run before PostgreSQL cancels it, and longest a transaction may sit idle
   * between statements before PostgreSQL ends the session; `0` turns both off. Default 5000.
   * Migrations run without a statement timeout (see {@link createPostgresStore}).
   */
  statementTimeoutMs?: number;
  /**
   * How long to wait for a connection, new (TCP, TLS and start-up included) or from the full pool,
   * before the query fails. Default 3000, so an unreachable or frozen server fails requests instead
   * of hanging them.
   */
  connectionTimeoutMs?: number;
  /**
   * Longest wait for a query's answer on this side, in milliseconds: `pg`'s `query_timeout`. Then
   * the query fails and its connection is closed, never given back to the pool (see
   * `closeOnQueryTimeout`). It is what ends a query when PostgreSQL cannot cancel it itself (a
   * frozen server, a network that drops packets); `statementTimeoutMs` is what ends a slow one on a
   * live server, and keeps the connection. Default 4000. Migrations run without it.
   */
  queryTimeoutMs?: number;
  /**
   * The schema holding Gatehouse's tables, `[a-z_][a-z0-9_]*` (at most 63 characters, not `pg_...`).
   * Created by `migrate()` if missing. Default `public`.
   */
  schema?: string;
  /** Judges artifact expiry; defaults to the system clock. */
  clock?: Clock;
  /** Shown in `pg_stat_activity`. Default `gatehouse`. */
  applicationName?: string;
}

/** Settings every connection starts with, as `-c name=value` startup options. */
interface SessionSettings {
  search_path: string;
  statement_timeout: number;
  idle_in_transaction_session_timeout: number;
}

const DEFAULTS = {
  poolSize: 10,
  statementTimeoutMs: 5000,
  connectionTimeoutMs: 3000,
  queryTimeoutMs: 4000,
  schema: 'public',
  applicationName: 'gatehouse',
} as const;

/**
 * Unquoted PostgreSQL identifiers: lower case, so the name means the same quoted or not, and
 * 63 bytes at most (NAMEDATALEN - 1). It also keeps `-c search_path=...` free of spaces and quotes.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A store in PostgreSQL (kysely + `pg`), for deployments with several instances or processes. The
 * schema is not migrated here: call `store.migrate()` before use (the server does so on start). It is
 * safe to call from several processes at once: kysely's migrator holds a PostgreSQL advisory lock
 * while it applies migrations, so they are applied once and the others wait, then apply nothing.
 *
 * The hot paths (artifacts, lookups by id) run as named prepared statements, parsed and planned
 * once per connection (see `postgresStatements`; behind PgBouncer, transaction pooling needs 1.21
 * or later with `max_prepared_statements` set); the rest goes through Kysely on the same pool.
 * Every pooled connection starts with `search_path` set to `schema`, `statement_timeout` and
 * `idle_in_transaction_session_timeout`. Migrations run on a connection of their own without a
 * statement or query timeout: an index build on a large table, or waiting for another process's
 * migrations, may take longer than any statement the store runs afterwards.
 *
 * Every call has a deadline on this side too, for when PostgreSQL cannot answer at all (a frozen
 * server, a lost network): a connection within `connectionTimeoutMs`, an answer within
 * `queryTimeoutMs`, after which the connection is closed rather than reused. Both fail with errors
 * `isStoreUnavailable` recognises, which the server answers with 503.
 *
 * @example
 * const store = createPostgresStore({ connectionString: process.env.GATEHOUSE_DATABASE_URL!, poolSize: 20 });
 * await store.migrate();
 *
 * @throws {ConfigError} a `TypeError` naming the invalid option.
 */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  return openPostgresStore(options).store;
}

/**
 * {@link createPostgresStore}, also handing out the kysely instance and the pool behind the store.
 * Not exported from the package: tests use it to run raw SQL on the store's own connections
 * (timeouts, settings) and to watch what the pool's connections send.
 *
 * @internal
 */
export function openPostgresStore(options: PostgresStoreOptions): { store: Store; db: Kysely<Database>; pool: Pool } {
  const config = resolveOptions(options);
  const poolConfig = (settings: SessionSettings, max: number, queryTimeoutMs: number | undefined): PoolConfig => ({
    connectionString: config.connectionString,
    options: startupOptions(config.urlOptions, settings),
    max,
    connectionTimeoutMillis: config.connectionTimeoutMs,
    ...(queryTimeoutMs === undefined ? {} : { query_timeout: queryTimeoutMs }),
    application_name: config.applicationName,
    // Probes a connection after 10 s of silence: a server whose host vanished (no reset ever comes)
    // is found out by the operating system's probes, even on a connection idle in the pool.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  const settings: SessionSettings = {
    search_path: config.schema,
    statement_timeout: config.statementTimeoutMs,
    idle_in_transaction_session_timeout: config.statementTimeoutMs,
  };
  const pool = openPool(poolConfig(settings, config.poolSize, config.queryTimeoutMs));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const store = createSqlStore(db, { dialect: 'postgres', clock: options.clock, statements: postgresStatements(pool, config.schema) });

  const migrate = async (): Promise<string[]> => {
    // One connection is enough: the migrator works on one at a time.
    const migrationDb = new Kysely<Database>({
      dialect: new SchemaScopedDialect({ pool: openPool(poolConfig({ ...settings, statement_timeout: 0 }, 1, undefined)) }, config.schema),
    });
    try {
      // The migrator creates the schema if missing and keeps its own tables in it too.
      return await migrateToLatest(migrationDb, migrations, { schema: config.schema });
    } finally {
      await migrationDb.destroy();
    }
  };

  return { store: { ...store, migrate }, db, pool };
}

/** A pool whose broken connections never take the process down. */
function openPool(config: PoolConfig): Pool {
  const pool = new pg.Pool(config);
  // A connection can fail while nobody is querying on it (the server restarts, or ends a session
  // idle in a transaction). `pg` reports that as an `error` event, which crashes the process
  // when nobody listens. The pool drops such a connection, and the next query on a checked-out
  // one fails, so there is nothing more to do here: the failure surfaces where it matters.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    closeOnQueryTimeout(client);
  });
  return pool;
}

/**
 * The `options` startup parameter: the URL's own, then ours, so ours win (PostgreSQL applies
 * `-c` settings in order).
 */
function startupOptions(urlOptions: string | null, settings: SessionSettings): string {
  const ours = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`);
  return [...(urlOptions === null ? [] : [urlOptions]), ...ours].join(' ');
}

interface ResolvedOptions {
  connectionString: string;
  /** The URL's `options` parameter, taken out of `connectionString` (where it would replace ours). */
  urlOptions: string | null;
  poolSize: number;
  statementTimeoutMs: number;
  connectionTimeoutMs: number;
  queryTimeoutMs: number;
  schema: string;
  applicationName: string;
}

function resolveOptions(options: PostgresStoreOptions): ResolvedOptions {
  requireObject(options, 'options');
  const url = typeof options.connectionString === 'string' && URL.canParse(options.connectionString) ? new URL(options.connectionString) : null;
  // Never echo the string itself: it may hold a password.
  option(url !== null && (url.protocol === 'postgres:' || url.protocol === 'postgresql:'), 'connectionString', 'must be a postgres:// URL');
  const urlOptions = url!.searchParams.get('options');
  url!.searchParams.delete('options');

  const {
    poolSize = DEFAULTS.poolSize,
    statementTimeoutMs = DEFAULTS.statementTimeoutMs,
    connectionTimeoutMs = DEFAULTS.connectionTimeoutMs,
    queryTimeoutMs = DEFAULTS.queryTimeoutMs,
    schema = DEFAULTS.schema,
    applicationName = DEFAULTS.applicationName,
  } = options;
  option(Number.isSafeInteger(poolSize) && poolSize >= 1, 'poolSize', 'must be a positive integer');
  option(Number.isSafeInteger(statementTimeoutMs) && statementTimeoutMs >= 0, 'statementTimeoutMs', 'must be a non-negative integer (0: no timeout)');
  option(Number.isSafeInteger(connectionTimeoutMs) && connectionTimeoutMs >= 1, 'connectionTimeoutMs', 'must be a positive integer');
  option(Number.isSafeInteger(queryTimeoutMs) && queryTimeoutMs >= 1, 'queryTimeoutMs', 'must be a positive integer');
  option(typeof schema === 'string' && SCHEMA_NAME.test(schema), 'schema', 'must match /^[a-z_][a-z0-9_]{0,62}$/');
  // PostgreSQL reserves the prefix for system schemas and refuses to create one.
  option(!schema.startsWith('pg_'), 'schema', 'must not start with "pg_"');
  option(typeof applicationName === 'string', 'applicationName', 'must be a string');

  return {
    connectionString: urlOptions === null ? options.connectionString : url!.href,
    urlOptions,
    poolSize,
    statementTimeoutMs,
    connectionTimeoutMs,
    queryTimeoutMs,
    schema,
    applicationName,
  };
}

function option(condition: boolean, name: string, message: string): void {
  if (!condition) throw new ConfigError(`option "${name}" ${message}`, 'ERR_INVALID_OPTION', name);
}

/**
 * The dialect of migrations, scoped to our schema in two ways. Kysely's migrator learns whether its
 * tables exist by listing every table of every schema (`has_schema_privilege(name, …)` on each),
 * which fails with "schema … does not exist" when another schema of the database is dropped during
 * the listing: here the listing covers only our schema. And its migration lock is one advisory lock
 * for the whole database, so installations in different schemas of one database would wait for
 * each other's migrations: here the lock is the schema's own.
 */
class SchemaScopedDialect extends PostgresDialect {
  readonly #schema: string;

  constructor(config: ConstructorParameters<typeof PostgresDialect>[0], schema: string) {
    super(config);
    this.#schema = schema;
  }

  override createAdapter(): DialectAdapter {
    return new SchemaLockAdapter(this.#schema);
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    const schema = this.#schema;
    const getTables = async (): Promise<TableMetadata[]> => {
      const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${schema}`.execute(db);
      return rows.map((row) => ({ name: row.name, schema, isView: false, columns: [] }));
    };
    return {
      async getSchemas() {
        const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db);
        return rows;
      },
      getTables,
      // Deprecated, but still a member of Kysely's DatabaseIntrospector.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      async getMetadata() {
        return { tables: await getTables() };
      },
    };
  }
}

/** How long a start waits for another instance's migration of the same schema (as Kysely: 1 hour). */
const MIGRATION_LOCK_TIMEOUT_MS = 60 * 60 * 1000;

/**
 * Kysely's PostgreSQL adapter with a migration lock per schema: a session advisory lock (taken on
 * the migration's connection, around its transaction) whose key is derived from the schema name,
 * so two instances starting on one schema still migrate one after the other, and other schemas
 * never wait.
 */
class SchemaLockAdapter extends PostgresAdapter {
  readonly #key: string;

  constructor(schema: string) {
    super();
    this.#key = schemaLockKey('migrations', schema);
  }

  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    // As Kysely does: the timeout is set for this statement only, before the lock is asked for.
    await sql`with set_timeout as (select set_config('lock_timeout', ${String(MIGRATION_LOCK_TIMEOUT_MS)}, true) as config_val)
      select pg_advisory_lock(${lockId(this.#key)}) from set_timeout`.execute(db);
  }

  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`select pg_advisory_unlock(${lockId(this.#key)})`.execute(db);
  }
}
