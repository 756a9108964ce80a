import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { systemClock, type Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import { StoreConflictError, type ArtifactRecord, type ArtifactRepository, type Json } from '../contract.js';

/**
 * Options of {@link createRedisArtifactRepository}.
 *
 * @example
 * const options: RedisArtifactRepositoryOptions = { redis: new Redis(process.env.REDIS_URL!), prefix: '{gatehouse}:' };
 */
export interface RedisArtifactRepositoryOptions {
  /** A standalone/Sentinel (`Redis`) or `Cluster` ioredis client. The repository never closes it. */
  redis: Redis | Cluster;
  /**
   * Start of every key name. Default `{gatehouse}:`. The `{...}` part is a Redis Cluster hash tag:
   * every operation is one Lua script over several keys, and in a cluster those keys must share a
   * hash slot, so with a `Cluster` client the prefix must contain a non-empty hash tag (a
   * `ConfigError` otherwise). On standalone or Sentinel Redis any prefix works.
   */
  prefix?: string;
  /** Judges expiry (`expiresAt`); defaults to the system clock. */
  clock?: Clock;
}

/** The default key prefix: a cluster hash tag, so one store's keys always share a slot. */
export const DEFAULT_REDIS_PREFIX = '{gatehouse}:';

/**
 * How many expired entries one purge script handles before yielding, so a large backlog never blocks
 * Redis for long.
 */
const PURGE_BATCH = 500;
/** How many dead entries of an owner's index a `put` tidies at most. */
const PRUNE_BATCH = 16;

/*
 * Data layout, all under `prefix` (P):
 *
 *   P a:{kind}:{id}         hash: v (value as JSON), e (expiresAt), g (ownerId, absent for none),
 *                           c (consumedAt, absent until consumed). Expires (PEXPIREAT) with the artifact.
 *   P g:{ownerId}           set of `{kind}:{id}`: the owner's artifacts, for deleteByOwner.
 *   P gk:{kind}:{ownerId}   sorted set of ids scored by expiresAt, for listByOwner.
 *   P expiry                sorted set of `{kind}:{id}` scored by expiresAt, for purgeExpired.
 *
 * `{kind}` is written with `%` and `:` percent-encoded, so the `:` after it is always the separator
 * (ids and owner ids may contain `:`). Index keys expire no earlier than their longest-lived member.
 *
 * The `g` field and the `g:`/`gk:` keys are named for "grant", the owner's name before the rename;
 * kept so that artifacts already in Redis stay readable across an upgrade.
 *
 * Expiry: `expiresAt` is judged by the store's clock, as in every Gatehouse store. Redis removes each
 * key when the time left by that clock (`expiresAt - now`) has run out on Redis's own clock: the
 * scripts set PEXPIREAT to Redis `TIME` + time left, which with synchronised clocks is `expiresAt`
 * itself. Counting from Redis's clock rather than passing `expiresAt` unchanged means neither a test's
 * fake clock nor skew between application and Redis hosts makes Redis drop an entry early (a replay
 * cache that forgets early lets a replay through); reads compare `expiresAt` with the store's clock
 * too, so nothing is seen after its time either.
 */

/** Shared Lua: Redis's own clock in milliseconds, and "expire no earlier than". */
const LUA_HELPERS = `
local function redis_now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function expire_no_earlier(key, deadline, now_ms)
  local left = redis.call('PTTL', key)
  if left < 0 or now_ms + left < deadline then redis.call('PEXPIREAT', key, deadline) end
end
`;

/**
 * SET NX for an artifact and its indexes. An artifact already expired by the store's clock is not
 * written: it would be invisible, and Redis would drop it at once anyway. An existing artifact
 * expired by the store's clock does not conflict: it is replaced.
 *
 * KEYS: artifact, expiry index[, owner set, owner+kind sorted set].
 * ARGV: value JSON, expiresAt, now (store clock), member `{kind}:{id}`, id, ownerId or '',
 *       raw artifact key prefix `P a:{kind}:`, encoded kind.
 * Returns 0 on a conflict, 1 otherwise.
 */
const PUT_SCRIPT = `${LUA_HELPERS}
if redis.call('EXISTS', KEYS[1]) == 1 then
  -- Only a live artifact conflicts: one expired by the store's clock is replaced, as if purged.
  local previous = tonumber(redis.call('HGET', KEYS[1], 'e'))
  if previous == nil or previous > tonumber(ARGV[3]) then return 0 end
  redis.call('DEL', KEYS[1])
end
local expires_at = tonumber(ARGV[2])
local left = math.ceil(expires_at - tonumber(ARGV[3]))
if left <= 0 then return 1 end
local now_ms = redis_now_ms()
local deadline = now_ms + left
if KEYS[3] then
  redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', ARGV[2], 'g', ARGV[6])
else
  redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', ARGV[2])
end
redis.call('PEXPIREAT', KEYS[1], deadline)
redis.call('ZADD', KEYS[2], expires_at, ARGV[4])
expire_no_earlier(KEYS[2], deadline, now_ms)
if KEYS[3] then
  -- Tidy a few entries that are past their time and whose artifact Redis has dropped (or that
  -- another owner reused), so a long-lived owner's indexes do not collect dead members.
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[3], 'LIMIT', 0, ${PRUNE_BATCH})) do
    if redis.call('HGET', ARGV[7] .. id, 'g') ~= ARGV[6] then
      redis.call('ZREM', KEYS[4], id)
      redis.call('SREM', KEYS[3], ARGV[8] .. ':' .. id)
    end
  end
  redis.call('SADD', KEYS[3], ARGV[4])
  redis.call('ZADD', KEYS[4], expires_at, ARGV[5])
  expire_no_earlier(KEYS[3], deadline, now_ms)
  expire_no_earlier(KEYS[4], deadline, now_ms)
end
return 1
`;

/**
 * Single use: exists, not expired by the store's clock, not consumed -> mark consumed and return it.
 * The artifact keeps its expiry, so a replay is told apart from an unknown id until then.
 *
 * KEYS: artifact. ARGV: now (store clock), consumedAt.
 * Returns { value, expiresAt, has owner '1'|'0', ownerId, consumedAt } or nil.
 */
const CONSUME_SCRIPT = `
local f = redis.call('HMGET', KEYS[1], 'v', 'e', 'g', 'c')
if not f[1] or f[4] or tonumber(f[2]) <= tonumber(ARGV[1]) then return false end
redis.call('HSET', KEYS[1], 'c', ARGV[2])
if f[3] then return { f[1], f[2], '1', f[3], ARGV[2] } end
return { f[1], f[2], '0', '', ARGV[2] }
`;

/**
 * Deletes one artifact and its index entries.
 *
 * KEYS: artifact, expiry index. ARGV: member, raw key prefix P, encoded kind, id.
 */
const DELETE_SCRIPT = `
local owner = redis.call('HGET', KEYS[1], 'g')
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
if owner then
  redis.call('SREM', ARGV[2] .. 'g:' .. owner, ARGV[1])
  redis.call('ZREM', ARGV[2] .. 'gk:' .. ARGV[3] .. ':' .. owner, ARGV[4])
end
return 1
`;

/**
 * Deletes every artifact an owner has, and its indexes. A member whose key now belongs to another
 * owner (an id reused after expiry) is left alone.
 *
 * KEYS: owner set, expiry index. ARGV: ownerId, raw key prefix P.
 */
const DELETE_BY_OWNER_SCRIPT = `
local count = 0
local kinds = {}
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[2] .. 'a:' .. member
  if redis.call('HGET', key, 'g') == ARGV[1] then
    count = count + redis.call('DEL', key)
    redis.call('ZREM', KEYS[2], member)
  end
  kinds[string.sub(member, 1, string.find(member, ':', 1, true) - 1)] = true
end
for kind in pairs(kinds) do redis.call('DEL', ARGV[2] .. 'gk:' .. kind .. ':' .. ARGV[1]) end
redis.call('DEL', KEYS[1])
return count
`;

/**
 * An owner's live artifacts of one kind, newest expiry first (ties: id descending, as ZREVRANGE
 * orders them). Entries whose artifact is gone or belongs to another owner are skipped.
 *
 * KEYS: owner+kind sorted set. ARGV: now (store clock), limit, raw artifact key prefix `P a:{kind}:`,
 *       ownerId. Returns a flat list: id, value, expiresAt, consumedAt or '' per artifact.
 */
const LIST_BY_OWNER_SCRIPT = `
local out = {}
local limit = tonumber(ARGV[2])
local found = 0
local offset = 0
while found < limit do
  local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', '(' .. ARGV[1], 'LIMIT', offset, limit - found)
  if #ids == 0 then break end
  offset = offset + #ids
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', ARGV[3] .. id, 'v', 'e', 'g', 'c')
    if f[1] and f[3] == ARGV[4] then
      found = found + 1
      out[#out + 1] = id
      out[#out + 1] = f[1]
      out[#out + 1] = f[2]
      out[#out + 1] = f[4] or ''
    end
  end
end
return out
`;

/**
 * One batch of purging: takes up to `batch` entries of the expiry index due by `now`, deletes the
 * artifacts Redis has not yet dropped itself (and their owner index entries), and removes the entries.
 *
 * KEYS: expiry index. ARGV: now, raw key prefix P, batch. Returns how many entries it removed.
 */
const PURGE_SCRIPT = `
local now = tonumber(ARGV[1])
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(members) do
  local key = ARGV[2] .. 'a:' .. member
  local f = redis.call('HMGET', key, 'e', 'g')
  if f[1] and tonumber(f[1]) <= now then
    redis.call('DEL', key)
    if f[2] then
      local sep = string.find(member, ':', 1, true)
      redis.call('SREM', ARGV[2] .. 'g:' .. f[2], member)
      redis.call('ZREM', ARGV[2] .. 'gk:' .. string.sub(member, 1, sep - 1) .. ':' .. f[2], string.sub(member, sep + 1))
    end
  end
  redis.call('ZREM', KEYS[1], member)
end
return #members
`;

interface Script {
  readonly lua: string;
  readonly sha: string;
}

const script = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

const SCRIPTS = {
  put: script(PUT_SCRIPT),
  consume: script(CONSUME_SCRIPT),
  delete: script(DELETE_SCRIPT),
  deleteByOwner: script(DELETE_BY_OWNER_SCRIPT),
  listByOwner: script(LIST_BY_OWNER_SCRIPT),
  purge: script(PURGE_SCRIPT),
} as const;

/**
 * The commands the repository uses, common to `Redis` and `Cluster`. Typed once here: the two
 * clients' overloads do not unify as a union.
 */
interface RedisCommands {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(lua: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  ping(): Promise<string>;
  readonly options: { keyPrefix?: string | undefined };
  readonly isCluster: boolean;
}

/** Throws a {@link ConfigError} naming `name` unless `condition` holds. */
function option(condition: boolean, name: string, message: string): void {
  if (!condition) throw new ConfigError(`option "${name}" ${message}`, 'ERR_INVALID_OPTION', name);
}

/**
 * Whether every key starting with `prefix` hashes by a tag inside the prefix: its first `{` is
 * followed, within the prefix, by a `}` with at least one character between (Redis Cluster
 * specification, "Hash tags").
 */
export function hasClusterHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  if (open === -1) return false;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1;
}

/** `kind` with `%` and `:` percent-encoded, so it ends at the first `:` of a key or member. */
function encodeKind(kind: string): string {
  return kind.replaceAll('%', '%25').replaceAll(':', '%3A');
}

/** Throws unless `limit` is a count, as the other stores do. */
function checkedLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError(`limit must be a non-negative integer, got ${limit}`);
  return limit;
}

/**
 * Short-lived artifacts (authorization codes, sessions, refresh tokens, single-use and replay
 * caches) in Redis. Each artifact is a hash that Redis expires with it; owner index sets and
 * per-owner sorted sets serve `deleteByOwner` and `listByOwner`. Every operation that touches more
 * than one key, and every check-then-write (`put`'s SET NX, `consume`'s single use), is a single Lua
 * script, so racing callers on any number of connections or hosts never see or make a half-done
 * change.
 *
 * Redis deletes expired artifacts itself; `purgeExpired` (which the server calls periodically) drops
 * what has expired by the store's clock but not yet in Redis, and tidies the expiry index. Its count
 * is the number of artifacts that reached their `expiresAt` by `now` since the last purge, whether
 * Redis had dropped them already or not.
 *
 * Redis Cluster: all keys of the repository carry the prefix's hash tag, so they live in one slot
 * (one shard, with its replicas). The cluster buys failover rather than write scaling for artifacts;
 * to spread load, give separate deployments separate tags. Key names a script derives from an index
 * are in the same slot, which is what lets a script touch them.
 *
 * @example
 * const redis = connectRedis('redis://127.0.0.1:6379');
 * const artifacts = createRedisArtifactRepository({ redis, prefix: '{gatehouse}:' });
 * await artifacts.put({ kind: 'authorization_code', id, value, ownerId, expiresAt: Date.now() + 60_000 });
 * const code = await artifacts.consume('authorization_code', id, Date.now()); // one caller only
 *
 * @throws {ConfigError} a `TypeError` naming the invalid option.
 */
export function createRedisArtifactRepository(options: RedisArtifactRepositoryOptions): ArtifactRepository {
  option(typeof options === 'object' && options !== null, 'options', 'must be an object');
  // Duck-typed rather than instanceof: the application may load its own copy of ioredis.
  const candidate = options.redis as Partial<RedisCommands> | null | undefined;
  option(
    typeof candidate === 'object' && candidate !== null && typeof candidate.evalsha === 'function' && typeof candidate.hmget === 'function',
    'redis',
    'must be an ioredis Redis or Cluster client',
  );
  option(options.prefix === undefined || typeof options.prefix === 'string', 'prefix', 'must be a string');
  option(
    options.clock === undefined || (typeof options.clock === 'object' && options.clock !== null && typeof options.clock.now === 'function'),
    'clock',
    'must have a now() method',
  );

  const redis = options.redis as unknown as RedisCommands;
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  const clock = options.clock ?? systemClock;
  // ioredis adds its own keyPrefix to declared KEYS; names a script builds need it spelled out.
  const raw = `${redis.options?.keyPrefix ?? ''}${prefix}`;
  if (redis.isCluster === true) {
    option(hasClusterHashTag(raw), 'prefix', 'must contain a hash tag such as "{gatehouse}:" when the client is a Redis Cluster');
  }

  const artifactKey = (kind: string, id: string) => `${prefix}a:${encodeKind(kind)}:${id}`;
  const expiryKey = `${prefix}expiry`;
  const ownerKey = (ownerId: string) => `${prefix}g:${ownerId}`;
  const ownerKindKey = (kind: string, ownerId: string) => `${prefix}gk:${encodeKind(kind)}:${ownerId}`;
  const member = (kind: string, id: string) => `${encodeKind(kind)}:${id}`;

  const run = async (target: Script, keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(target.sha, keys.length, ...keys, ...args);
    } catch (error) {
      // A fresh, restarted or failed-over Redis has no scripts cached: send the source once.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(target.lua, keys.length, ...keys, ...args);
    }
  };

  const record = <T extends Json>(
    kind: string,
    id: string,
    value: string,
    ownerId: string | null,
    expiresAt: string,
    consumedAt: string | null,
  ): ArtifactRecord<T> => ({
    kind,
    id,
    value: JSON.parse(value) as T,
    ownerId,
    expiresAt: Number(expiresAt),
    consumedAt: consumedAt === null || consumedAt === '' ? null : Number(consumedAt),
  });

  return {
    async put(artifact) {
      if (!Number.isFinite(artifact.expiresAt)) throw new TypeError(`expiresAt must be a finite number, got ${artifact.expiresAt}`);
      const value = JSON.stringify(artifact.value);
      if (value === undefined) throw new TypeError('value must be JSON-serialisable');
      const keys = [artifactKey(artifact.kind, artifact.id), expiryKey];
      if (artifact.ownerId !== null) keys.push(ownerKey(artifact.ownerId), ownerKindKey(artifact.kind, artifact.ownerId));
      const args = [
        value,
        artifact.expiresAt,
        clock.now(),
        member(artifact.kind, artifact.id),
        artifact.id,
        artifact.ownerId ?? '',
        `${raw}a:${encodeKind(artifact.kind)}:`,
        encodeKind(artifact.kind),
      ];
      if (Number(await run(SCRIPTS.put, keys, args)) === 0) throw new StoreConflictError('id');
    },

    async get<T extends Json = Json>(kind: string, id: string) {
      const [value, expiresAt, ownerId, consumedAt] = await redis.hmget(artifactKey(kind, id), 'v', 'e', 'g', 'c');
      // Redis may not have dropped it yet (or the clocks disagree): the store's clock decides.
      if (value == null || expiresAt == null || Number(expiresAt) <= clock.now()) return undefined;
      return record<T>(kind, id, value, ownerId ?? null, expiresAt, consumedAt ?? null);
    },

    async consume<T extends Json = Json>(kind: string, id: string, at: number) {
      const reply = (await run(SCRIPTS.consume, [artifactKey(kind, id)], [clock.now(), at])) as string[] | null;
      if (reply === null) return undefined;
      const [value, expiresAt, hasOwner, ownerId, consumedAt] = reply as [string, string, string, string, string];
      return record<T>(kind, id, value, hasOwner === '1' ? ownerId : null, expiresAt, consumedAt);
    },

    async delete(kind, id) {
      const deleted = await run(SCRIPTS.delete, [artifactKey(kind, id), expiryKey], [member(kind, id), raw, encodeKind(kind), id]);
      return Number(deleted) === 1;
    },

    async deleteByOwner(ownerId) {
      return Number(await run(SCRIPTS.deleteByOwner, [ownerKey(ownerId), expiryKey], [ownerId, raw]));
    },

    async listByOwner<T extends Json = Json>(kind: string, ownerId: string, limit = 100) {
      if (checkedLimit(limit) === 0) return [];
      const now = clock.now();
      const reply = (await run(SCRIPTS.listByOwner, [ownerKindKey(kind, ownerId)], [now, limit, `${raw}a:${encodeKind(kind)}:`, ownerId])) as string[];
      const found: ArtifactRecord<T>[] = [];
      for (let i = 0; i + 3 < reply.length; i += 4) {
        const listed = record<T>(kind, reply[i]!, reply[i + 1]!, ownerId, reply[i + 2]!, reply[i + 3]!);
        if (listed.expiresAt > now) found.push(listed);
      }
      return found;
    },

    async purgeExpired(now) {
      if (!Number.isFinite(now)) throw new TypeError(`now must be a finite number, got ${now}`);
      let purged = 0;
      // Batches, each atomic, so a long backlog never holds Redis in one script.
      for (;;) {
        const removed = Number(await run(SCRIPTS.purge, [expiryKey], [now, raw, PURGE_BATCH]));
        purged += removed;
        if (removed < PURGE_BATCH) return purged;
      }
    },
  };
}
