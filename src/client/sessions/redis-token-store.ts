import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ConfigError } from '../../core/errors.js';
import { requireObject } from '../../core/option-checks.js';
import { importOptional } from '../../core/optional-dependency.js';
import { canRunScripts, defineScripts, luaScript } from '../../core/redis-scripts.js';
import { MIN_SECRET_LENGTH, SecretKeys } from '../../core/secret.js';
import type { ClientSession, ReleaseLock, TokenStore } from './session.js';

/**
 * Options of {@link createRedisTokenStore}.
 *
 * @example
 * const options: RedisTokenStoreOptions = { redis: 'redis://127.0.0.1:6379', secret: process.env.SESSION_SECRET!, prefix: 'shop:sessions:' };
 */
export interface RedisTokenStoreOptions {
  /**
   * A connected ioredis client (the store never closes it; it registers its Lua scripts on it with
   * `defineCommand`, under names starting `gatehouse_`), or a `redis://` / `rediss://` URL (the
   * store opens its own connection and {@link RedisTokenStore.close} quits it).
   */
  redis: Redis | string;
  /**
   * At least 32 characters. Encrypts sessions at rest (AES-256-GCM) and keys the hashes that name
   * them. Every instance sharing the store needs the same secret.
   */
  secret: string;
  /** Prefix of every key the store writes. Default `gatehouse:client:`. */
  prefix?: string;
  /** The time source, milliseconds; sessions expire in Redis at their `expiresAt` by this clock. */
  now?: () => number;
}

/**
 * A {@link TokenStore} on Redis, always with the cross-instance `lock`, plus `close()`.
 *
 * @example
 * const release = await store.lock('nightly-job', 30_000);
 * if (release) {
 *   try { await runJob(); } finally { await release(); }
 * }
 */
export interface RedisTokenStore extends TokenStore {
  /**
   * `SET key token NX PX ttlMs` under a hashed key name; the release deletes the key only while it
   * still holds this holder's token, so a holder whose lock expired never frees the next holder's.
   */
  lock(key: string, ttlMs: number): Promise<ReleaseLock | undefined>;
  /** Quits the connection when the store opened it from a URL; a client given by the caller stays open. */
  close(): Promise<void>;
}

const DEFAULT_PREFIX = 'gatehouse:client:';
/** Hash purposes: one per kind of key, so equal inputs of two kinds never name the same key. */
const PURPOSE = {
  session: 'gatehouse-client/redis-session-id',
  sub: 'gatehouse-client/redis-sub',
  sid: 'gatehouse-client/redis-sid',
  lock: 'gatehouse-client/redis-lock',
} as const;

// Only this subpath (`gatehouse/client/redis-store`) needs ioredis, an optional dependency.
const ioredis = await importOptional('ioredis', () => import('ioredis'), 'gatehouse/client/redis-store');

/**
 * Writes, deletes and back-channel logout each touch a session and its index sets: one Lua script
 * each, in `lua/` beside this file (with its KEYS and ARGV).
 */
const SCRIPTS = {
  set: luaScript('client_session_set', new URL('./lua/session-set.lua', import.meta.url)),
  delete: luaScript('client_session_delete', new URL('./lua/session-delete.lua', import.meta.url)),
  deleteMatching: luaScript('client_session_delete_matching', new URL('./lua/session-delete-matching.lua', import.meta.url)),
  release: luaScript('client_lock_release', new URL('./lua/lock-release.lua', import.meta.url)),
} as const;

function option(condition: boolean, name: string, message: string): void {
  if (!condition) throw new ConfigError(`option "${name}" ${message}`, 'ERR_INVALID_OPTION', name);
}

/**
 * Sessions in Redis, shared by every instance of the application: short-lived artifacts, each
 * expiring (`PX`) at its session's `expiresAt`. Sessions are encrypted at rest (AES-256-GCM, bound
 * to the key they are stored under); key names hold only keyed hashes, never a session id, a token
 * or a user id. Back-channel logout (OpenID Connect Back-Channel Logout 1.0 §2.7) finds a user's or
 * a provider session's sessions through index sets that Lua scripts keep in step with the sessions.
 * `lock` gives the cross-instance refresh lock, so that instances never spend one rotating refresh
 * token twice (RFC 9700 §4.14.2).
 *
 * A deleted session stays deleted: a write already under way when it was deleted (a refresh that
 * finishes after a logout) is dropped, through a small marker kept for the rest of the session's
 * lifetime. Session keys are derived inside scripts, so use one Redis (standalone or Sentinel), or
 * put a cluster hash tag in `prefix` (`'{gatehouse}:client:'`) so every key lands in one slot.
 *
 * @example
 * const tokenStore = createRedisTokenStore({ redis: process.env.REDIS_URL!, secret: process.env.SESSION_SECRET! });
 * const client = createOAuthClient({ provider: google(), clientId, clientSecret, redirectUri, secret, tokenStore });
 * // at shutdown
 * await tokenStore.close();
 *
 * @throws {ConfigError} a `TypeError` naming the invalid option.
 */
export function createRedisTokenStore(options: RedisTokenStoreOptions): RedisTokenStore {
  requireObject(options, 'options');
  // Duck-typed rather than instanceof: the application may load its own copy of ioredis.
  const isClient = canRunScripts(options.redis);
  option(typeof options.redis === 'string' || isClient, 'redis', 'must be an ioredis client or a redis:// URL');
  if (typeof options.redis === 'string') option(URL.canParse(options.redis), 'redis', 'must be an ioredis client or a redis:// URL');
  option(typeof options.secret === 'string' && options.secret.length >= MIN_SECRET_LENGTH, 'secret', `must be at least ${MIN_SECRET_LENGTH} characters`);
  option(options.prefix === undefined || typeof options.prefix === 'string', 'prefix', 'must be a string');

  const owned = typeof options.redis === 'string';
  const redis = typeof options.redis === 'string' ? new ioredis.Redis(options.redis) : options.redis;
  const run = defineScripts(redis, SCRIPTS);
  const keys = new SecretKeys(options.secret);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const now = options.now ?? Date.now;
  // ioredis prefixes declared KEYS itself; key names a script builds or compares need it spelled out.
  const raw = (key: string) => `${redis.options.keyPrefix ?? ''}${key}`;

  const member = (id: string) => keys.hash(id, PURPOSE.session);
  const sessionKey = (id: string) => `${prefix}session:${member(id)}`;
  const tombstoneKey = (id: string) => `${prefix}ended:${member(id)}`;
  /** Writes a session (`onlyIfExists`: an update, refused for a deleted or expired session). */
  const write = async (session: ClientSession, onlyIfExists: boolean): Promise<boolean> => {
    const ttl = Math.ceil(session.expiresAt - now());
    if (!Number.isFinite(ttl)) throw new TypeError('session.expiresAt must be a number of milliseconds since the epoch');
    if (ttl <= 0) {
      await remove(session.id);
      return false;
    }
    const key = sessionKey(session.id);
    const indexes = [indexKey('sub', session.issuer, session.profile.sub), ...(session.sid ? [indexKey('sid', session.issuer, session.sid)] : [])];
    const data = keys.encrypt(JSON.stringify(session), key);
    return Number(await run.set([key, tombstoneKey(session.id), ...indexes], [member(session.id), data, ttl, onlyIfExists ? '1' : '0'])) === 1;
  };
  const indexKey = (kind: 'sub' | 'sid', issuer: string, value: string) => `${prefix}${kind}:${keys.hash(JSON.stringify([issuer, value]), PURPOSE[kind])}`;

  const remove = async (id: string): Promise<void> => {
    await run.delete([sessionKey(id), tombstoneKey(id)], [member(id)]);
  };

  return {
    async get(id) {
      const key = sessionKey(id);
      const data = await redis.hget(key, 'data');
      if (data === null) return undefined;
      let session: ClientSession;
      try {
        session = JSON.parse(keys.decrypt(data, key)) as ClientSession;
      } catch {
        // Another secret, or a value moved from another key: as if there were no session.
        return undefined;
      }
      if (session.id !== id || session.expiresAt <= now()) return undefined;
      // JSON drops undefined: give back the declared shape.
      return { ...session, sid: session.sid ?? undefined };
    },

    async set(session) {
      await write(session, false);
    },

    update: (session) => write(session, true),

    delete: remove,

    async deleteMatching({ issuer, sub, sid }) {
      if (sub === undefined && sid === undefined) return 0;
      // Walk the narrower index: a provider session has one or a few sessions, a user many.
      const [walk, field, other, otherIndex] =
        sid !== undefined
          ? [indexKey('sid', issuer, sid), 'sid', sub === undefined ? '' : 'sub', sub === undefined ? '' : raw(indexKey('sub', issuer, sub))]
          : [indexKey('sub', issuer, sub!), 'sub', '', ''];
      const count = await run.deleteMatching([walk], [field, other, otherIndex, raw(`${prefix}session:`), raw(`${prefix}ended:`)]);
      return Number(count);
    },

    async lock(key, ttlMs) {
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError('lock ttlMs must be a positive number of milliseconds');
      const name = `${prefix}lock:${keys.hash(key, PURPOSE.lock)}`;
      const token = randomBytes(16).toString('base64url');
      const taken = await redis.set(name, token, 'PX', Math.ceil(ttlMs), 'NX');
      if (taken !== 'OK') return undefined;
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await run.release([name], [token]);
      };
    },

    async close() {
      if (!owned || redis.status === 'end') return;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
