/** The SQL store shared by the SQLite and PostgreSQL backends. */
export { createSqlStore, type SqlStoreOptions } from './sql-store.js';
export type { SqlDialectName } from './conflicts.js';
export { migrateToLatest, migrations, type SqlMigration } from './migrations.js';
export type { Database } from './schema.js';
