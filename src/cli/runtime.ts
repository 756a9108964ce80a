import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { generateSecret, SecretKeys } from '../core/secret.js';
import type { Store } from '../stores/contract.js';
import { createSqliteStore } from '../stores/sqlite/index.js';
import { createAuditLog } from '../server/audit/audit-log.js';
import { auditEvent, type AuditFields } from '../server/audit/events.js';
import { silentLogger } from '../core/logger.js';
import type { CliConfig } from './config.js';

/** File in the data directory holding the development secret. */
export const DEV_SECRET_FILE = 'secret';
/** The development outbox of one-time codes (SMS and email) in the data directory. */
export const OUTBOX_FILE = 'outbox.jsonl';
/** The embedded SQLite database file in the data directory. */
export const DATABASE_FILE = 'gatehouse.db';

/**
 * The installation secret: `GATEHOUSE_SECRET`, or in development a secret generated once into the
 * data directory (with a warning). Missing in production is an error, never a silent default.
 */
export function resolveSecret(config: CliConfig, warn: (message: string) => void): string {
  if (config.secret !== undefined) return config.secret;
  if (config.mode === 'production') {
    throw new ConfigError(
      'GATEHOUSE_SECRET is required in production mode (generate one with: openssl rand -base64 32)',
      'ERR_MISSING_SECRET',
      'secret',
    );
  }
  const file = join(config.dataDir, DEV_SECRET_FILE);
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${generateSecret()}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    warn(`development mode: generated a secret in ${file}. Set GATEHOUSE_SECRET (and GATEHOUSE_ENV=production) for real use.`);
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
  /** Records an operator's change in the audit log (database and, if set, the audit file). */
  audit(type: string, fields?: AuditFields): Promise<void>;
  close(): Promise<void>;
}

/** Opens the embedded SQLite store in the data directory and applies pending migrations. */
export async function openRuntime(config: CliConfig, warn: (message: string) => void): Promise<Runtime> {
  const secret = resolveSecret(config, warn);
  const secretKeys = new SecretKeys(secret);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const filename = join(config.dataDir, DATABASE_FILE);
  const store = createSqliteStore({ filename });
  // Holds password hashes and encrypted keys: readable by the owner only (SQLite gives its WAL files the same mode).
  chmodSync(filename, 0o600);
  let applied: string[];
  try {
    applied = await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  const auditLog = createAuditLog({ store, secretKeys, logger: silentLogger(), ...(config.auditFile ? { file: config.auditFile } : {}) });
  const audit = async (type: string, fields: AuditFields = {}) => {
    await auditLog.record(auditEvent(type, fields), { requestId: null, ip: null, userAgent: 'gatehouse-cli' });
  };
  return { store, secret, secretKeys, applied, audit, close: () => store.close() };
}
