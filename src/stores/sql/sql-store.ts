import { sql, type Kysely } from 'kysely';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Store } from '../contract.js';
import { SqlArtifactRepository } from './artifact-repository.js';
import { SqlAuditRepository } from './audit-repository.js';
import { SqlClientRepository } from './client-repository.js';
import type { SqlDialectName } from './conflicts.js';
import type { SqlContext } from './context.js';
import { SqlConsentRepository } from './consent-repository.js';
import { SqlLogoutDeliveryRepository } from './logout-delivery-repository.js';
import { SqlMfaFactorRepository } from './mfa-factor-repository.js';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';
import { SqlSigningKeyRepository } from './signing-key-repository.js';
import { kyselyStatements, type StatementRunner } from './statements.js';
import { SqlUserRepository } from './user-repository.js';

/** Options of {@link createSqlStore}. */
export interface SqlStoreOptions {
  /** Judges artifact expiry; defaults to the system clock. */
  clock?: Clock;
  /** The database behind `db`: decides how driver errors (unique violations) are read. */
  dialect: SqlDialectName;
  /**
   * Runs the hot paths' statements on the connection(s) behind `db`. Default: through `db`
   * itself, unprepared (a store over a bare Kysely instance); the SQLite and PostgreSQL backends
   * pass their prepared-statement runners.
   */
  statements?: StatementRunner;
  /** Called by `close()` once `db` is destroyed (the SQLite backend stops its checkpoints). */
  onClose?: () => Promise<void>;
}

/**
 * A store over any kysely instance whose dialect is SQLite or PostgreSQL. Backend packages
 * (`stores/sqlite`, `stores/postgres`) open the connection, build the runner of the hot paths'
 * prepared statements on it, and call this. `close()` destroys `db`, then calls `onClose`.
 *
 * @example
 * const store = createSqlStore(new Kysely<Database>({ dialect }), { dialect: 'sqlite' });
 * await store.migrate();
 */
export function createSqlStore(db: Kysely<Database>, options: SqlStoreOptions): Store {
  const ctx: SqlContext = {
    db,
    statements: options.statements ?? kyselyStatements(db, options.dialect),
    clock: options.clock ?? systemClock,
    dialect: options.dialect,
  };
  return {
    clients: new SqlClientRepository(ctx),
    users: new SqlUserRepository(ctx),
    keys: new SqlSigningKeyRepository(ctx),
    consents: new SqlConsentRepository(ctx),
    factors: new SqlMfaFactorRepository(ctx),
    audit: new SqlAuditRepository(ctx),
    artifacts: new SqlArtifactRepository(ctx),
    logoutDeliveries: new SqlLogoutDeliveryRepository(ctx),
    migrate: () => migrateToLatest(db),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: async () => {
      await db.destroy();
      await options.onClose?.();
    },
  };
}
