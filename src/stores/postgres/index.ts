/** PostgreSQL store: `gatehouse/stores/postgres`. */
export { createPostgresStore, type PostgresStoreOptions } from './postgres-store.js';
