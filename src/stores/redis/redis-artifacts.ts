import type { Cluster, Redis } from 'ioredis';
import { systemClock, type Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import { requireObject } from '../../core/option-checks.js';
import { canRunScripts, defineScripts, luaScript, type ScriptHost } from '../../core/redis-scripts.js';
import { StoreConflictError, type ArtifactRecord, type ArtifactRepository, type Json } from '../contract.js';

/**
 * Options of {@link createRedisArtifactRepository}.
 *
 * @example
 * const options: RedisArtifactRepositoryOptions = { redis: new Redis(process.env.REDIS_URL!), prefix: '{gatehouse}:' };
 */
export interface RedisArtifactRepositoryOptions {
  /**
   * A standalone/Sentinel (`Redis`) or `Cluster` ioredis client. The repository never closes it; it
   * registers its Lua scripts on it (`defineCommand`, under names starting `gatehouse_`).
   */
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

/**
 * Every operation that touches more than one key, or checks then writes, is one Lua script, each in
 * `lua/` beside this file (with its KEYS and ARGV), run through {@link defineScripts}.
 */
const SCRIPTS = {
  put: luaScript('artifact_put', new URL('./lua/artifact-put.lua', import.meta.url)),
  consume: luaScript('artifact_consume', new URL('./lua/artifact-consume.lua', import.meta.url)),
  delete: luaScript('artifact_delete', new URL('./lua/artifact-delete.lua', import.meta.url)),
  deleteByOwner: luaScript('artifact_delete_by_owner', new URL('./lua/artifact-delete-by-owner.lua', import.meta.url)),
  listByOwner: luaScript('artifact_list_by_owner', new URL('./lua/artifact-list-by-owner.lua', import.meta.url)),
  purge: luaScript('artifact_purge', new URL('./lua/artifact-purge.lua', import.meta.url)),
} as const;

/**
 * The commands the repository uses, common to `Redis` and `Cluster`. Typed once here: the two
 * clients' overloads do not unify as a union.
 */
interface RedisCommands extends ScriptHost {
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
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
  requireObject(options, 'options');
  // Duck-typed rather than instanceof: the application may load its own copy of ioredis.
  option(
    canRunScripts(options.redis) && typeof (options.redis as Partial<RedisCommands>).hmget === 'function',
    'redis',
    'must be an ioredis Redis or Cluster client',
  );
  option(options.prefix === undefined || typeof options.prefix === 'string', 'prefix', 'must be a string');
  option(options.clock === undefined || typeof (options.clock as Partial<Clock> | null)?.now === 'function', 'clock', 'must have a now() method');

  const redis = options.redis as unknown as RedisCommands;
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  const clock = options.clock ?? systemClock;
  // ioredis adds its own keyPrefix to declared KEYS; names a script builds need it spelled out.
  const raw = `${redis.options.keyPrefix ?? ''}${prefix}`;
  if (redis.isCluster) {
    option(hasClusterHashTag(raw), 'prefix', 'must contain a hash tag such as "{gatehouse}:" when the client is a Redis Cluster');
  }

  const artifactKey = (kind: string, id: string) => `${prefix}a:${encodeKind(kind)}:${id}`;
  const expiryKey = `${prefix}expiry`;
  const ownerKey = (ownerId: string) => `${prefix}g:${ownerId}`;
  const ownerKindKey = (kind: string, ownerId: string) => `${prefix}gk:${encodeKind(kind)}:${ownerId}`;
  const member = (kind: string, id: string) => `${encodeKind(kind)}:${id}`;

  const run = defineScripts(redis, SCRIPTS);

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
      // Typed `string`, but undefined for a value JSON cannot hold (undefined, a function).
      const value = JSON.stringify(artifact.value) as string | undefined;
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
      if (Number(await run.put(keys, args)) === 0) throw new StoreConflictError('id');
    },

    async get<T extends Json = Json>(kind: string, id: string) {
      const [value, expiresAt, ownerId, consumedAt] = await redis.hmget(artifactKey(kind, id), 'v', 'e', 'g', 'c');
      // Redis may not have dropped it yet (or the clocks disagree): the store's clock decides.
      if (value == null || expiresAt == null || Number(expiresAt) <= clock.now()) return undefined;
      return record<T>(kind, id, value, ownerId ?? null, expiresAt, consumedAt ?? null);
    },

    async consume<T extends Json = Json>(kind: string, id: string, at: number) {
      const reply = (await run.consume([artifactKey(kind, id)], [clock.now(), at])) as string[] | null;
      if (reply === null) return undefined;
      const [value, expiresAt, hasOwner, ownerId, consumedAt] = reply as [string, string, string, string, string];
      return record<T>(kind, id, value, hasOwner === '1' ? ownerId : null, expiresAt, consumedAt);
    },

    async delete(kind, id) {
      const deleted = await run.delete([artifactKey(kind, id), expiryKey], [member(kind, id), raw, encodeKind(kind), id]);
      return Number(deleted) === 1;
    },

    async deleteByOwner(ownerId) {
      return Number(await run.deleteByOwner([ownerKey(ownerId), expiryKey], [ownerId, raw]));
    },

    async listByOwner<T extends Json = Json>(kind: string, ownerId: string, limit = 100) {
      if (checkedLimit(limit) === 0) return [];
      const now = clock.now();
      const reply = (await run.listByOwner([ownerKindKey(kind, ownerId)], [now, limit, `${raw}a:${encodeKind(kind)}:`, ownerId])) as string[];
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
        const removed = Number(await run.purge([expiryKey], [now, raw, PURGE_BATCH]));
        purged += removed;
        if (removed < PURGE_BATCH) return purged;
      }
    },
  };
}
