/** A cached introspection answer (RFC 7662 §2.2) and until when it may be used. */
export interface CachedIntrospection {
  claims: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  until: number;
}

/** Where introspection answers are cached, keyed by a hash of the token (never the token). */
export interface IntrospectionCache {
  get(key: string): Promise<CachedIntrospection | undefined>;
  set(key: string, value: CachedIntrospection): Promise<void>;
}

/**
 * A bounded in-memory LRU cache. Entries leave at their `until` or when the cache is full
 * (least recently used first).
 */
export function createMemoryIntrospectionCache(options: { maxEntries?: number; now?: () => number } = {}): IntrospectionCache {
  const max = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, CachedIntrospection>();
  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (entry.until <= now()) return undefined;
      entries.set(key, entry);
      return entry;
    },
    async set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      while (entries.size > max) entries.delete(entries.keys().next().value!);
    },
  };
}

/** The subset of an ioredis client the Redis cache uses. */
export interface RedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'PX', ttl: number): Promise<unknown>;
}

/** Introspection answers cached in Redis, shared by every instance of the API. */
export function createRedisIntrospectionCache(redis: RedisLike, options: { prefix?: string; now?: () => number } = {}): IntrospectionCache {
  const prefix = options.prefix ?? 'gatehouse:introspection:';
  const now = options.now ?? Date.now;
  return {
    async get(key) {
      const raw = await redis.get(prefix + key);
      if (!raw) return undefined;
      const entry = JSON.parse(raw) as CachedIntrospection;
      return entry.until > now() ? entry : undefined;
    },
    async set(key, value) {
      const ttl = value.until - now();
      if (ttl > 0) await redis.set(prefix + key, JSON.stringify(value), 'PX', ttl);
    },
  };
}
