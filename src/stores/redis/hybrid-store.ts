import type { Cluster, Redis } from 'ioredis';
import type { Clock } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import { requireObject } from '../../core/option-checks.js';
import type { ArtifactRepository, ConsentRepository, Store } from '../contract.js';
import { createRedisArtifactRepository } from './redis-artifacts.js';

/**
 * Options of {@link createHybridStore}.
 *
 * @example
 * const options: HybridStoreOptions = { durable: createSqliteStore({ filename }), redis: connectRedis(process.env.REDIS_URL!) };
 */
export interface HybridStoreOptions {
  /** The system of record for clients, users, keys, consents, factors and the audit log. */
  durable: Store;
  /**
   * Holds the short-lived artifacts. The caller owns the connection: `close()` does not quit it, so
   * it can be shared (rate limits, caches) and is closed by whoever opened it.
   */
  redis: Redis | Cluster;
  /** Key prefix in Redis; default `{gatehouse}:`. See {@link createRedisArtifactRepository} for Cluster. */
  prefix?: string;
  /** Judges artifact expiry; defaults to the system clock. Give `durable` the same clock. */
  clock?: Clock;
}

/**
 * A store that keeps durable entities in `durable` (SQLite, PostgreSQL, memory) and short-lived
 * artifacts — authorization codes, sessions, refresh tokens, single-use and replay caches — in
 * Redis, where they expire on their own and are shared by every instance.
 *
 * `migrate` and `close` are the durable store's; `ping` checks both. Revoking a consent marks it in
 * the durable store, then deletes the artifacts it owns in Redis: two systems, so not one
 * transaction. The order keeps the gap safe — once the consent reads as revoked no new artifact is
 * issued for it — and the sweep runs on every call, so retrying a revoke whose sweep failed (it
 * rejects) finishes it.
 *
 * @example
 * const redis = connectRedis(process.env.REDIS_URL!);
 * const store = createHybridStore({ durable: createSqliteStore({ filename: './data/gatehouse.db' }), redis });
 * await store.migrate();
 * // at shutdown
 * await store.close();
 * await redis.quit();
 *
 * @throws {ConfigError} a `TypeError` naming the invalid option.
 */
export function createHybridStore(options: HybridStoreOptions): Store {
  requireObject(options, 'options');
  const { durable } = options;
  if (!looksLikeStore(durable)) {
    throw new ConfigError('option "durable" must be a Store', 'ERR_INVALID_OPTION', 'durable');
  }
  const artifacts = createRedisArtifactRepository({ redis: options.redis, prefix: options.prefix, clock: options.clock });
  const redis = options.redis as unknown as { ping(): Promise<string> };

  return {
    clients: durable.clients,
    users: durable.users,
    keys: durable.keys,
    consents: hybridConsents(durable.consents, artifacts),
    factors: durable.factors,
    audit: durable.audit,
    artifacts,
    logoutDeliveries: durable.logoutDeliveries,
    migrate: () => durable.migrate(),
    async ping() {
      await Promise.all([durable.ping(), redis.ping()]);
    },
    close: () => durable.close(),
  };
}

/** The durable store's consents, with revocation also dropping the consent's artifacts in Redis. */
function hybridConsents(consents: ConsentRepository, artifacts: ArtifactRepository): ConsentRepository {
  // Called as methods: stores may be classes with private state.
  return {
    create: (consent) => consents.create(consent),
    get: (id) => consents.get(id),
    update: (consent) => consents.update(consent),
    listBySubject: (subject) => consents.listBySubject(subject),
    async revoke(id, at) {
      const revoked = await consents.revoke(id, at);
      // Also when nothing was revoked: a consent revoked earlier whose sweep failed gets swept now.
      await artifacts.deleteByOwner(id);
      return revoked;
    },
  };
}

/** Whether a JavaScript caller's `durable` has a Store's shape (duck-typed: it may come from another copy of gatehouse). */
function looksLikeStore(value: unknown): boolean {
  const candidate = value as Partial<Store> | null | undefined;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.migrate === 'function' && typeof candidate.consents === 'object';
}
