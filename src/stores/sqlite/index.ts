/** SQLite store: `gatehouse/stores/sqlite`. */
export { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
