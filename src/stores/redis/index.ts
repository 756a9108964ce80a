/** Redis for short-lived artifacts, beside a durable store: `gatehouse/stores/redis`. */
export { connectRedis, type ConnectRedisOptions } from './connect.js';
export { createHybridStore, type HybridStoreOptions } from './hybrid-store.js';
export { createRedisArtifactRepository, DEFAULT_REDIS_PREFIX, hasClusterHashTag, type RedisArtifactRepositoryOptions } from './redis-artifacts.js';
export { createInvalidationBus, type InvalidationBus, type InvalidationTopic } from './invalidation-bus.js';
export { withClientCache } from './cached-store.js';
