import type { DpopReplayCache } from '../core/dpop.js';

/** The subset of an ioredis client the Redis replay cache uses. */
export interface RedisSetNx {
  set(key: string, value: string, mode: 'PX', ttl: number, condition: 'NX'): Promise<unknown>;
}

/**
 * Spent DPoP proofs (RFC 9449 §11.1) in Redis, shared by every instance of the API: `SET NX PX`
 * records a proof once, atomically, until it could no longer be accepted anyway.
 *
 * @example
 * const guard = createResourceGuard({ issuer, audience, dpop: { replayCache: createRedisDpopReplayCache(new Redis(url)) } });
 */
export function createRedisDpopReplayCache(redis: RedisSetNx, options: { prefix?: string; now?: () => number } = {}): DpopReplayCache {
  const prefix = options.prefix ?? 'gatehouse:dpop-jti:';
  const now = options.now ?? Date.now;
  return {
    async spend(key, expiresAt) {
      const ttl = Math.max(1, Math.ceil(expiresAt - now()));
      return (await redis.set(prefix + key, '1', 'PX', ttl, 'NX')) === 'OK';
    },
  };
}
