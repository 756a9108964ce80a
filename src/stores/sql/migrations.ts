import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { Database } from './schema.js';

/**
 * What a migration runs against: `Kysely<any>`, not `Kysely<Database>`, because a migration must keep
 * compiling as the schema moves on (Kysely's documented way to type migrations).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySchema = Kysely<any>;

/** A named schema change. Names are never reused or renamed once released. */
export interface SqlMigration extends Migration {
  name: string;
}

/**
 * Every schema change, oldest first. Only portable schema-builder features are used, so the same
 * list serves SQLite and PostgreSQL: timestamps as `bigint` milliseconds, JSON as `text`.
 */
export const migrations: readonly SqlMigration[] = [
  {
    name: '0001_initial_schema',
    async up(db: AnySchema): Promise<void> {
      await db.schema
        .createTable('clients')
        .addColumn('client_id', 'text', (col) => col.primaryKey())
        .addColumn('client_secret_hash', 'text')
        .addColumn('data', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('username', 'text', (col) => col.notNull())
        .addColumn('email', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('data', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .execute();
      // Unique on lower(...) so logins stay unique case-insensitively and findByLogin can use
      // the index. The index names are what conflicts.ts recognises.
      await db.schema
        .createIndex('users_username_unique')
        .unique()
        .on('users')
        .expression(sql`lower(username)`)
        .execute();
      await db.schema
        .createIndex('users_email_unique')
        .unique()
        .on('users')
        .expression(sql`lower(email)`)
        .execute();

      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (col) => col.primaryKey())
        .addColumn('alg', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('public_jwk', 'text', (col) => col.notNull())
        .addColumn('encrypted_private_jwk', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('retired_at', 'bigint')
        .execute();

      // Consents (`ConsentRecord`) and artifact owners (`ownerId`, column `grant_id`): the names
      // predate the rename in the store contract and are kept, so no migration moves any data.
      await db.schema
        .createTable('grants')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('client_id', 'text', (col) => col.notNull())
        .addColumn('subject', 'text', (col) => col.notNull())
        .addColumn('scope', 'text', (col) => col.notNull())
        .addColumn('data', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('grants_subject_idx').on('grants').column('subject').execute();

      await db.schema
        .createTable('artifacts')
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('id', 'text', (col) => col.notNull())
        .addColumn('value', 'text', (col) => col.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addColumn('consumed_at', 'bigint')
        .addPrimaryKeyConstraint('artifacts_pk', ['kind', 'id'])
        .execute();
      await db.schema.createIndex('artifacts_grant_id_idx').on('artifacts').column('grant_id').execute();
      await db.schema.createIndex('artifacts_expires_at_idx').on('artifacts').column('expires_at').execute();
    },
  },
  {
    name: '0002_user_identities',
    async up(db: AnySchema): Promise<void> {
      // `if not exists`: kysely runs SQLite migrations outside a transaction, so a crash between
      // these two statements must not leave a database this migration can no longer be applied to.
      await db.schema
        .createTable('user_identities')
        .ifNotExists()
        .addColumn('provider', 'text', (col) => col.notNull())
        .addColumn('subject', 'text', (col) => col.notNull())
        .addColumn('user_id', 'text', (col) => col.notNull())
        .addColumn('email', 'text')
        .addColumn('encrypted_tokens', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addPrimaryKeyConstraint('user_identities_pk', ['provider', 'subject'])
        // Deleting a user drops their links. SQLite enforces this only with `foreign_keys = ON`,
        // which the SQLite store sets on its connection.
        .addForeignKeyConstraint('user_identities_user_id_fk', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
        .execute();
      await db.schema.createIndex('user_identities_user_id_idx').ifNotExists().on('user_identities').column('user_id').execute();
    },
  },
  {
    name: '0003_mfa_factors',
    async up(db: AnySchema): Promise<void> {
      // `if not exists` throughout, for the same reason as in 0002.
      await db.schema
        .createTable('mfa_factors')
        .ifNotExists()
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('user_id', 'text', (col) => col.notNull())
        .addColumn('type', 'text', (col) => col.notNull())
        .addColumn('label', 'text', (col) => col.notNull())
        .addColumn('lookup', 'text')
        .addColumn('data', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addColumn('last_used_at', 'bigint')
        .addForeignKeyConstraint('mfa_factors_user_id_fk', ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade'))
        .execute();
      // A plain unique index: both SQLite and PostgreSQL treat NULLs as distinct in it, so any
      // number of factors without a lookup may share a type. The name is what the factor
      // repository recognises (PostgreSQL reports it; SQLite names the columns instead).
      await db.schema.createIndex('mfa_factors_type_lookup_unique').ifNotExists().unique().on('mfa_factors').columns(['type', 'lookup']).execute();
      await db.schema.createIndex('mfa_factors_user_id_idx').ifNotExists().on('mfa_factors').column('user_id').execute();
      // For listByOwner: both equalities, then the range and order on expires_at, from the index.
      await db.schema.createIndex('artifacts_kind_grant_id_expires_at_idx').ifNotExists().on('artifacts').columns(['kind', 'grant_id', 'expires_at']).execute();
    },
  },
  {
    name: '0004_audit_events',
    async up(db: AnySchema): Promise<void> {
      // `if not exists` throughout, for the same reason as in 0002. `seq` is a plain primary key,
      // not an auto-increment: the audit repository assigns it, and a clash is how it learns that
      // another process appended first.
      await db.schema
        .createTable('audit_events')
        .ifNotExists()
        .addColumn('seq', 'bigint', (col) => col.primaryKey())
        .addColumn('time', 'bigint', (col) => col.notNull())
        .addColumn('type', 'text', (col) => col.notNull())
        .addColumn('outcome', 'text', (col) => col.notNull())
        .addColumn('request_id', 'text')
        .addColumn('client_id', 'text')
        .addColumn('subject', 'text')
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('details', 'text', (col) => col.notNull())
        .addColumn('prev_hash', 'text', (col) => col.notNull())
        .addColumn('hash', 'text', (col) => col.notNull())
        .execute();
      // (type, seq) rather than type alone: `tail --type` filters on type and reads newest first,
      // both from the index.
      await db.schema.createIndex('audit_events_type_seq_idx').ifNotExists().on('audit_events').columns(['type', 'seq']).execute();
    },
  },
  {
    name: '0005_audit_queries',
    async up(db: AnySchema): Promise<void> {
      // For AuditRepository.query and counts (the admin API's audit search, the console's charts):
      // a time range, and each of a subject, a client or an address read newest first by seq.
      await db.schema.createIndex('audit_events_time_idx').ifNotExists().on('audit_events').column('time').execute();
      await db.schema.createIndex('audit_events_subject_seq_idx').ifNotExists().on('audit_events').columns(['subject', 'seq']).execute();
      await db.schema.createIndex('audit_events_client_id_seq_idx').ifNotExists().on('audit_events').columns(['client_id', 'seq']).execute();
      await db.schema.createIndex('audit_events_ip_seq_idx').ifNotExists().on('audit_events').columns(['ip', 'seq']).execute();
    },
  },
  {
    name: '0008_client_resources',
    async up(db: AnySchema): Promise<void> {
      // The resources registered resource servers serve (ClientRecord.servedResources): the primary
      // key makes each served by one client, and the token endpoint finds its server by it.
      await db.schema
        .createTable('client_resources')
        .ifNotExists()
        .addColumn('resource', 'text', (col) => col.primaryKey())
        .addColumn('client_id', 'text', (col) => col.notNull())
        .addForeignKeyConstraint('client_resources_client_id_fk', ['client_id'], 'clients', ['client_id'], (fk) => fk.onDelete('cascade'))
        .execute();
      await db.schema.createIndex('client_resources_client_id_idx').ifNotExists().on('client_resources').column('client_id').execute();
    },
  },
  {
    name: '0009_logout_deliveries',
    async up(db: AnySchema): Promise<void> {
      // The back-channel logout queue (LogoutDeliveryRecord): workers claim rows by due_at.
      await db.schema
        .createTable('logout_deliveries')
        .ifNotExists()
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('client_id', 'text', (col) => col.notNull())
        .addColumn('sub', 'text', (col) => col.notNull())
        .addColumn('sid', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('due_at', 'bigint', (col) => col.notNull())
        .addColumn('attempts', 'integer', (col) => col.notNull())
        .addColumn('lease', 'text')
        .execute();
      await db.schema.createIndex('logout_deliveries_due_at_idx').ifNotExists().on('logout_deliveries').column('due_at').execute();
    },
  },
];

/**
 * Applies the pending {@link migrations} in list order. Idempotent: returns the names applied by
 * this call, `[]` when the schema is current.
 *
 * @param list the migrations to apply; a prefix of {@link migrations} leaves the database as an
 *   earlier release did (for upgrade tests).
 * @param options.schema PostgreSQL only: the schema the tables go in (the connection's
 *   `search_path`). Created if missing, and the migrator's own tables are kept there: without it,
 *   kysely takes a `gatehouse_migration` table in any other schema of the database as its own.
 * @example
 * const applied = await migrateToLatest(db); // ['0001_initial_schema', ..., '0009_logout_deliveries'] on a fresh database
 */
export async function migrateToLatest(db: Kysely<Database>, list: readonly SqlMigration[] = migrations, options: { schema?: string } = {}): Promise<string[]> {
  const names = list.map((migration) => migration.name);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => Object.fromEntries(list.map((m) => [m.name, m])) },
    // The list order is the truth, not the alphabetical order of the names.
    nameComparator: (a, b) => names.indexOf(a) - names.indexOf(b),
    migrationTableName: 'gatehouse_migration',
    migrationLockTableName: 'gatehouse_migration_lock',
    migrationTableSchema: options.schema,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  // Kysely's own rejection, as it came.
  // eslint-disable-next-line @typescript-eslint/only-throw-error
  if (error !== undefined) throw error;
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
