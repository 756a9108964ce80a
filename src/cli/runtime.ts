import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { createPostgresStore } from '../stores/postgres/index.js';
import { connectRedis, createHybridStore, createInvalidationBus, withClientCache, type InvalidationBus } from '../stores/redis/index.js';
import { ConfigError } from '../core/errors.js';
import { generateSecret, SecretKeys } from '../core/secret.js';
import type { Store } from '../stores/contract.js';
import { createSqliteStore } from '../stores/sqlite/index.js';
import { createAuditLog, type AuditLog } from '../server/audit/audit-log.js';
import { auditEvent, type AuditFields } from '../server/audit/events.js';
import { silentLogger } from '../core/logger.js';
import type { CliConfig } from './config.js';
import { dataLocation, DATABASE_FILE, requireInstallation } from './installation.js';

export { DATABASE_FILE };

/** File in the data directory holding the development secret. */
export const DEV_SECRET_FILE = 'secret';
/** The development outbox of one-time codes (SMS and email) in the data directory. */
export const OUTBOX_FILE = 'outbox.jsonl';

/**
 * The installation secret: `GATEHOUSE_SECRET`, or in development a secret generated once into the
 * data directory (with a warning). Missing in production, the default mode, is an error that says
 * how to run locally instead, never a silent default.
 */
export function resolveSecret(config: CliConfig, warn: (message: string) => void): string {
  if (config.secret !== undefined) return config.secret;
  const file = join(config.dataDir, DEV_SECRET_FILE);
  if (config.mode === 'production') {
    // A data directory set up in development (once the default mode) keeps working with --dev.
    const devData = existsSync(file) ? ` (this data directory was set up in development mode: --dev uses its secret)` : '';
    // One line, like every error the command prints.
    throw new ConfigError(
      'GATEHOUSE_SECRET is required: Gatehouse runs in production mode unless told otherwise ' +
        '(generate a secret with: openssl rand -base64 32); ' +
        `to run locally without one, use development mode: add --dev to the command, or set GATEHOUSE_ENV=development${devData}`,
      'ERR_MISSING_SECRET',
      'secret',
    );
  }
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${generateSecret()}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    warn(`development mode: generated a secret in ${file}. For real use, set GATEHOUSE_SECRET and run without --dev (production is the default).`);
  }
  return readFileSync(file, 'utf8').trim();
}

/** What every command that touches data needs: the store, migrated, and the derived secret keys. */
export interface Runtime {
  store: Store;
  secret: string;
  secretKeys: SecretKeys;
  /** Migrations applied while opening. */
  applied: string[];
  /** The Redis connection when `GATEHOUSE_REDIS_URL` is set (rate limits, short-lived state). */
  redis: Redis | Cluster | undefined;
  /** Tells other instances what changed (when Redis is configured). */
  bus: InvalidationBus | undefined;
  /** Records an operator's change in the audit log (database and, if set, the audit file). */
  audit(type: string, fields?: AuditFields): Promise<void>;
  /** The same audit log, for server modules that record their own events (invitations). */
  auditLog: AuditLog;
  close(): Promise<void>;
}

/** How long to wait for PostgreSQL or Redis at start. */
const CONNECT_TIMEOUT_MS = 15_000;

/** The durable store: PostgreSQL when `GATEHOUSE_DATABASE_URL` says so, else SQLite in the data directory. */
function openDurableStore(config: CliConfig): Store {
  const location = dataLocation(config);
  if (location.kind === 'postgres') {
    return createPostgresStore({
      connectionString: location.url,
      poolSize: config.dbPoolSize,
      statementTimeoutMs: config.dbStatementTimeoutMs,
      queryTimeoutMs: config.dbQueryTimeoutMs,
      connectionTimeoutMs: config.dbConnectionTimeoutMs,
      ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
    });
  }
  const filename = location.file;
  mkdirSync(dirname(filename), { recursive: true, mode: 0o700 });
  const store = createSqliteStore({ filename, busyTimeoutMs: config.sqliteBusyTimeoutMs });
  // Holds password hashes and encrypted keys: readable by the owner only (SQLite gives its WAL files the same mode).
  chmodSync(filename, 0o600);
  return store;
}

/**
 * Connects to Redis and waits until ready. Fail-fast: commands fail during an outage instead of
 * queueing, and each has the command timeout, so a request never waits on Redis longer than that.
 */
async function openRedis(url: string, commandTimeoutMs: number): Promise<Redis | Cluster> {
  const redis = connectRedis(url, { failFast: true, commandTimeoutMs });
  redis.on('error', () => undefined); // reported through failing commands and /readyz
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => {
      // Stop reconnecting, or the process could never exit.
      redis.disconnect();
      fail(new Error('Redis did not become ready in time (GATEHOUSE_REDIS_URL)'));
    }, CONNECT_TIMEOUT_MS);
    redis.once('ready', () => {
      clearTimeout(timer);
      ready();
    });
  });
  return redis;
}

/** How {@link openRuntime} treats a database without a Gatehouse installation. */
export interface OpenOptions {
  /**
   * Set one up (`gatehouse start`, `gatehouse migrate`). Otherwise (every other command) such a
   * database is refused before anything is written: no data directory, secret or database file.
   */
  create: boolean;
}

/**
 * Opens the configured stores and applies pending migrations: PostgreSQL or embedded SQLite for
 * what is durable; with Redis, short-lived artifacts there and client/key caches invalidated
 * across instances. Without `create`, only an existing installation is opened.
 */
export async function openRuntime(config: CliConfig, warn: (message: string) => void, options: OpenOptions = { create: false }): Promise<Runtime> {
  // A missing secret in production is said first (it tells a newcomer how to run locally); it writes nothing.
  if (config.mode === 'production') resolveSecret(config, warn);
  // Before the secret: in development that generates a file into the data directory.
  if (!options.create) await requireInstallation(config);
  const secret = resolveSecret(config, warn);
  const secretKeys = new SecretKeys(secret);
  if (options.create) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const durable = openDurableStore(config);
  let applied: string[];
  try {
    applied = await durable.migrate();
  } catch (error) {
    await durable.close();
    throw error;
  }
  let store = durable;
  let redis: Redis | Cluster | undefined;
  let bus: InvalidationBus | undefined;
  if (config.redisUrl) {
    try {
      redis = await openRedis(config.redisUrl, config.redisCommandTimeoutMs);
    } catch (error) {
      await durable.close();
      throw error;
    }
    const prefix = config.redisPrefix;
    bus = createInvalidationBus(redis, prefix);
    store = withClientCache(createHybridStore({ durable, redis, prefix }), bus);
  }
  const auditLog = createAuditLog({ store, secretKeys, logger: silentLogger(), ...(config.auditFile ? { file: config.auditFile } : {}) });
  const operator = auditLog.forRequest({ requestId: null, ip: null, userAgent: 'gatehouse-cli' });
  const audit = async (type: string, fields: AuditFields = {}) => {
    await operator.record(auditEvent(type, fields));
  };
  return {
    store,
    secret,
    secretKeys,
    applied,
    redis,
    bus,
    audit,
    auditLog: operator,
    async close() {
      await store.close();
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
