/** In-memory store: `gatehouse/stores/memory`. */
export { createMemoryStore, type MemoryStoreOptions } from './memory-store.js';
