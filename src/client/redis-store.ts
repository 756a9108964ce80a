/**
 * Client sessions in Redis: `gatehouse/client/redis-store`, a subpath of its own so that
 * `gatehouse/client` never loads ioredis (an optional dependency of gatehouse).
 */
export { createRedisTokenStore, type RedisTokenStore, type RedisTokenStoreOptions } from './sessions/redis-token-store.js';
