/**
 * The Redis token store against a real Redis: sessions round-trip, are encrypted at rest under
 * hashed key names, expire with the session, are found by provider user or provider session for
 * back-channel logout, and the refresh lock is exclusive across connections.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisTokenStore, type RedisTokenStore } from '../../../src/client/sessions/redis-token-store.js';
import { ConfigError } from '../../../src/core/errors.js';
import { deleteKeysUnder, keysUnder, makeSession, REDIS_URL, uniquePrefix } from './redis-helpers.js';

const SECRET = 'redis-token-store-test-secret-0123456789';
const PREFIX = uniquePrefix('redis-token-store');
const ISSUER = 'https://id.example.com';
const OTHER_ISSUER = 'https://other.example.com';

let redis: Redis;
let store: RedisTokenStore;
/** A second store on its own connection: another instance of the application. */
let other: RedisTokenStore;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  store = createRedisTokenStore({ redis, secret: SECRET, prefix: PREFIX });
  other = createRedisTokenStore({ redis: REDIS_URL, secret: SECRET, prefix: PREFIX });
});

/** A store under its own sub-prefix, for tests that look at the raw keys. */
function scopedStore(name: string): { store: RedisTokenStore; prefix: string } {
  const prefix = `${PREFIX}${name}:`;
  return { store: createRedisTokenStore({ redis, secret: SECRET, prefix }), prefix };
}

afterAll(async () => {
  await other?.close();
  await deleteKeysUnder(redis, PREFIX);
  // The prefix of the keyPrefix test below.
  await deleteKeysUnder(redis, `app:${PREFIX}`);
  await redis?.quit();
});

describe('sessions', () => {
  it('round-trips a session: set, get (from another connection too), replace, delete', async () => {
    const session = makeSession();
    expect(await store.get(session.id)).toBeUndefined();
    await store.set(session);
    expect(await store.get(session.id)).toEqual(session);
    expect(await other.get(session.id)).toEqual(session);

    const refreshed = { ...session, tokens: { ...session.tokens, accessToken: 'access-refreshed', refreshToken: 'refresh-rotated' } };
    await other.set(refreshed);
    expect(await store.get(session.id)).toEqual(refreshed);

    await store.delete(session.id);
    expect(await store.get(session.id)).toBeUndefined();
    expect(await other.get(session.id)).toBeUndefined();
  });

  it('keeps a session without a provider session id (sid undefined)', async () => {
    const session = makeSession({ sid: undefined });
    await store.set(session);
    const loaded = await store.get(session.id);
    expect(loaded).toEqual(session);
    expect(loaded).toHaveProperty('sid', undefined);
  });

  it('stores sessions encrypted, under key names that contain no session id, token or user id', async () => {
    const { store: scoped, prefix } = scopedStore('at-rest');
    // A DPoP session key is a private JWK inside the session (RFC 9449): encrypted with it.
    const dpop = { jkt: 'jkt-in-clear?', jwk: { kty: 'EC', crv: 'P-256', x: 'x-in-clear', y: 'y-in-clear', d: 'private-d-in-clear', alg: 'ES256' } };
    const session = makeSession({ sub: 'sub-in-clear?', dpop });
    await scoped.set(session);
    expect(await scoped.get(session.id)).toEqual(session);
    const secrets = [
      dpop.jwk.d,
      dpop.jkt,
      session.id,
      session.tokens.accessToken,
      session.tokens.refreshToken!,
      session.tokens.idToken!,
      session.profile.sub,
      session.sid!,
      session.profile.email!,
    ];

    // One session, its user's index and its provider session's index.
    const keys = await keysUnder(redis, prefix);
    expect(keys).toHaveLength(3);
    for (const key of keys) for (const secret of secrets) expect(key).not.toContain(secret);

    const [sessionKey] = keys.filter((key) => key.startsWith(`${prefix}session:`));
    const raw = await redis.hgetall(sessionKey!);
    expect(Object.keys(raw).sort()).toEqual(['data', 'sid', 'sub']);
    const everything = JSON.stringify(raw);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    // The AES-256-GCM envelope of the core's SecretKeys.
    expect(raw.data).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('does not decrypt under another secret, or a value moved to another session key', async () => {
    const { store: scoped, prefix } = scopedStore('moved');
    const session = makeSession();
    const victim = makeSession();
    await scoped.set(session);
    await scoped.set(victim);
    const stranger = createRedisTokenStore({ redis, secret: 'another-secret-of-at-least-32-characters', prefix });
    expect(await stranger.get(session.id)).toBeUndefined();

    // Someone with write access to Redis swaps the two ciphertexts.
    const [first, second] = await keysUnder(redis, `${prefix}session:`);
    const [a, b] = await Promise.all([redis.hget(first!, 'data'), redis.hget(second!, 'data')]);
    await redis.hset(first!, 'data', b!);
    await redis.hset(second!, 'data', a!);
    expect(await scoped.get(session.id)).toBeUndefined();
    expect(await scoped.get(victim.id)).toBeUndefined();
  });

  it('expires a session in Redis at its expiresAt, and its index sets no earlier', async () => {
    const { store: scoped, prefix } = scopedStore('ttl');
    await scoped.set(makeSession({ expiresAt: Date.now() + 30_000 }));
    const keys = await keysUnder(redis, prefix);
    expect(keys).toHaveLength(3);
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
    }
    // A longer-lived session of the same user extends the user's index, not the other way round.
    const sub = 'alice-sub';
    await scoped.set(makeSession({ sub, expiresAt: Date.now() + 600_000 }));
    await scoped.set(makeSession({ sub, expiresAt: Date.now() + 10_000 }));
    const subIndexes = await keysUnder(redis, `${prefix}sub:`);
    expect(subIndexes).toHaveLength(1);
    expect(await redis.pttl(subIndexes[0]!)).toBeGreaterThan(590_000);
  });

  it('is gone once its expiresAt passes', async () => {
    const session = makeSession({ expiresAt: Date.now() + 200 });
    await store.set(session);
    expect(await store.get(session.id)).toEqual(session);
    await sleep(300);
    expect(await store.get(session.id)).toBeUndefined();
  });

  it('does not store an already expired session, and removes the stored copy', async () => {
    const session = makeSession();
    await store.set(session);
    await store.set({ ...session, expiresAt: Date.now() - 1 });
    expect(await store.get(session.id)).toBeUndefined();
  });

  it('keeps a deleted session deleted: a late write (a refresh finishing after logout) does not revive it', async () => {
    const session = makeSession();
    await store.set(session);
    await store.delete(session.id);
    await other.set({ ...session, tokens: { ...session.tokens, accessToken: 'late' } });
    expect(await store.get(session.id)).toBeUndefined();
  });
});

describe('deleteMatching (back-channel logout)', () => {
  it('by sub: ends every session of that user at that issuer, and nothing else', async () => {
    const sub = `user-${Math.random()}`;
    const mine = [makeSession({ sub }), makeSession({ sub }), makeSession({ sub, sid: undefined })];
    const atOtherIssuer = makeSession({ sub, issuer: OTHER_ISSUER });
    const someoneElse = makeSession({ sub: `${sub}-bob` });
    for (const session of [...mine, atOtherIssuer, someoneElse]) await store.set(session);

    expect(await other.deleteMatching({ issuer: ISSUER, sub })).toBe(3);
    for (const session of mine) expect(await store.get(session.id)).toBeUndefined();
    expect(await store.get(atOtherIssuer.id)).toEqual(atOtherIssuer);
    expect(await store.get(someoneElse.id)).toEqual(someoneElse);
    // Nothing left to end, and the ended sessions stay ended.
    expect(await store.deleteMatching({ issuer: ISSUER, sub })).toBe(0);
    await store.set(mine[0]!);
    expect(await store.get(mine[0]!.id)).toBeUndefined();
  });

  it('by sid: ends only that provider session', async () => {
    const sub = `user-${Math.random()}`;
    const target = makeSession({ sub, sid: 'provider-session-1' });
    const sameUser = makeSession({ sub, sid: 'provider-session-2' });
    const sameSidOtherIssuer = makeSession({ sub, sid: 'provider-session-1', issuer: OTHER_ISSUER });
    for (const session of [target, sameUser, sameSidOtherIssuer]) await store.set(session);

    expect(await store.deleteMatching({ issuer: ISSUER, sid: 'provider-session-1' })).toBe(1);
    expect(await store.get(target.id)).toBeUndefined();
    expect(await store.get(sameUser.id)).toEqual(sameUser);
    expect(await store.get(sameSidOtherIssuer.id)).toEqual(sameSidOtherIssuer);

    // The ended session also left its user's index: ending the user now counts only the other one.
    expect(await store.deleteMatching({ issuer: ISSUER, sub })).toBe(1);
    expect(await store.get(sameUser.id)).toBeUndefined();
  });

  it('by sub and sid: only a session matching both', async () => {
    const sub = `user-${Math.random()}`;
    const session = makeSession({ sub, sid: 'both-1' });
    await store.set(session);
    expect(await store.deleteMatching({ issuer: ISSUER, sub: 'somebody-else', sid: 'both-1' })).toBe(0);
    expect(await store.get(session.id)).toEqual(session);
    expect(await store.deleteMatching({ issuer: ISSUER, sub, sid: 'both-1' })).toBe(1);
    expect(await store.get(session.id)).toBeUndefined();
  });

  it('with neither sub nor sid: ends nothing', async () => {
    const session = makeSession();
    await store.set(session);
    expect(await store.deleteMatching({ issuer: ISSUER })).toBe(0);
    expect(await store.get(session.id)).toEqual(session);
  });

  it('follows a session whose provider session changed (re-set under another sid)', async () => {
    const sub = `user-${Math.random()}`;
    const session = makeSession({ sub, sid: 'before' });
    await store.set(session);
    await store.set({ ...session, sid: 'after' });
    expect(await store.deleteMatching({ issuer: ISSUER, sid: 'before' })).toBe(0);
    expect(await store.get(session.id)).toBeDefined();
    expect(await store.deleteMatching({ issuer: ISSUER, sid: 'after' })).toBe(1);
  });

  it('works on a client with an ioredis keyPrefix', async () => {
    const prefixed = new Redis(REDIS_URL, { keyPrefix: 'app:' });
    try {
      const scoped = createRedisTokenStore({ redis: prefixed, secret: SECRET, prefix: PREFIX });
      const sub = `user-${Math.random()}`;
      const sessions = [makeSession({ sub }), makeSession({ sub })];
      for (const session of sessions) await scoped.set(session);
      expect(await keysUnder(redis, `app:${PREFIX}session:`)).toHaveLength(2);
      expect(await scoped.deleteMatching({ issuer: ISSUER, sid: sessions[0]!.sid! })).toBe(1);
      expect(await scoped.deleteMatching({ issuer: ISSUER, sub })).toBe(1);
      expect(await keysUnder(redis, `app:${PREFIX}session:`)).toHaveLength(0);
    } finally {
      await prefixed.quit();
    }
  });
});

describe('lock', () => {
  it('is exclusive across connections until released', async () => {
    const release = await store.lock('refresh:one', 5_000);
    expect(release).toBeTypeOf('function');
    expect(await other.lock('refresh:one', 5_000)).toBeUndefined();
    expect(await store.lock('refresh:one', 5_000)).toBeUndefined();
    // Another key is another lock.
    const unrelated = await other.lock('refresh:two', 5_000);
    expect(unrelated).toBeTypeOf('function');
    await release!();
    const next = await other.lock('refresh:one', 5_000);
    expect(next).toBeTypeOf('function');
    await next!();
    await unrelated!();
  });

  it('is held by one of many concurrent takers', async () => {
    const attempts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).lock('refresh:race', 5_000)));
    const winners = attempts.filter((release) => release !== undefined);
    expect(winners).toHaveLength(1);
    await winners[0]!();
  });

  it('expires after its ttl', async () => {
    const release = await store.lock('refresh:expiring', 100);
    expect(release).toBeDefined();
    expect(await other.lock('refresh:expiring', 100)).toBeUndefined();
    await sleep(200);
    const next = await other.lock('refresh:expiring', 5_000);
    expect(next).toBeDefined();
    await next!();
  });

  it('released by a stale holder (its lock expired) does not free the newer holder’s lock', async () => {
    const stale = await store.lock('refresh:stale', 100);
    await sleep(200);
    const current = await other.lock('refresh:stale', 5_000);
    expect(current).toBeDefined();
    await stale!();
    expect(await store.lock('refresh:stale', 5_000)).toBeUndefined();
    await current!();
    const after = await store.lock('refresh:stale', 5_000);
    expect(after).toBeDefined();
    await after!();
  });

  it('names its key by a hash, never by the raw key (which carries the session id)', async () => {
    const { store: scoped, prefix } = scopedStore('lock-names');
    const release = await scoped.lock('refresh:very-secret-session-id', 5_000);
    const keys = await keysUnder(redis, prefix);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain('very-secret-session-id');
    await release!();
    expect(await keysUnder(redis, prefix)).toHaveLength(0);
  });
});

describe('connection and options', () => {
  it('quits a connection it opened from a URL, and leaves a given client open', async () => {
    const fromUrl = createRedisTokenStore({ redis: REDIS_URL, secret: SECRET, prefix: PREFIX });
    const session = makeSession();
    await fromUrl.set(session);
    await fromUrl.close();
    await expect(fromUrl.get(session.id)).rejects.toThrow();

    const given = createRedisTokenStore({ redis, secret: SECRET, prefix: PREFIX });
    await given.close();
    expect(await redis.ping()).toBe('PONG');
    expect(await given.get(session.id)).toEqual(session);
  });

  it('rejects a short secret or a missing connection at construction, naming the option', () => {
    const failure = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const shortSecret = failure(() => createRedisTokenStore({ redis, secret: 'too-short' }));
    expect(shortSecret).toBeInstanceOf(ConfigError);
    expect(shortSecret).toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'secret' });
    const noRedis = failure(() => createRedisTokenStore({ redis: undefined as unknown as string, secret: SECRET }));
    expect(noRedis).toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'redis' });
    expect(failure(() => createRedisTokenStore({ redis: 'not a url', secret: SECRET }))).toMatchObject({ option: 'redis' });
  });
});
