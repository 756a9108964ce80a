/** The SQL store shared by the SQLite and PostgreSQL backends. */
export { createSqlStore } from './sql-store.js';
export { migrateToLatest, migrations } from './migrations.js';
export type { Database } from './schema.js';
export { byColumn, statement } from './statements.js';
export type { InsertStatement, SqlValue, Statement, StatementRunner } from './statements.js';
