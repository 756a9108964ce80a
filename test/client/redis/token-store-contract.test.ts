/**
 * What every `TokenStore` promises the session manager and the back-channel logout receiver, run
 * against each implementation, so that swapping the memory store for Redis changes nothing an
 * application relies on. Redis-only guarantees (encryption, TTLs, the lock) are in
 * redis-token-store.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryTokenStore } from '../../../src/client/sessions/memory-token-store.js';
import { createRedisTokenStore } from '../../../src/client/sessions/redis-token-store.js';
import type { TokenStore } from '../../../src/client/sessions/session.js';
import { deleteKeysUnder, makeSession, REDIS_URL, uniquePrefix } from './redis-helpers.js';

const PREFIX = uniquePrefix('token-store-contract');
const ISSUER = 'https://id.example.com';
let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await deleteKeysUnder(redis, PREFIX);
  await redis.quit();
});

describe.each([
  { name: 'memory', create: (): TokenStore => createMemoryTokenStore() },
  {
    name: 'Redis',
    create: (): TokenStore => createRedisTokenStore({ redis, secret: 'token-store-contract-secret-0123456789', prefix: `${PREFIX}${randomUUID()}:` }),
  },
])('TokenStore contract: $name', ({ create }) => {
  let store: TokenStore;

  beforeEach(() => {
    store = create();
  });

  it('gives back what was set, as a copy the caller may change', async () => {
    const session = makeSession();
    await store.set(session);
    const loaded = await store.get(session.id);
    expect(loaded).toEqual(session);
    loaded!.tokens.accessToken = 'changed by the caller';
    expect((await store.get(session.id))!.tokens.accessToken).toBe(session.tokens.accessToken);
  });

  it('replaces a session on set, and forgets it on delete', async () => {
    const session = makeSession();
    await store.set(session);
    const refreshed = { ...session, tokens: { ...session.tokens, accessToken: 'new-access', refreshToken: 'new-refresh' } };
    await store.set(refreshed);
    expect(await store.get(session.id)).toEqual(refreshed);
    await store.delete(session.id);
    expect(await store.get(session.id)).toBeUndefined();
    await store.delete(session.id);
  });

  it('does not give back a session past its expiresAt', async () => {
    const session = makeSession({ expiresAt: Date.now() - 1 });
    await store.set(session);
    expect(await store.get(session.id)).toBeUndefined();
  });

  it('deleteMatching by sub ends that user’s sessions at that issuer, and counts them', async () => {
    const sub = `user-${randomUUID()}`;
    const mine = [makeSession({ sub }), makeSession({ sub, sid: undefined })];
    const elsewhere = makeSession({ sub, issuer: 'https://other.example.com' });
    const bob = makeSession({ sub: `${sub}-bob` });
    for (const session of [...mine, elsewhere, bob]) await store.set(session);
    expect(await store.deleteMatching({ issuer: ISSUER, sub })).toBe(2);
    for (const session of mine) expect(await store.get(session.id)).toBeUndefined();
    expect(await store.get(elsewhere.id)).toEqual(elsewhere);
    expect(await store.get(bob.id)).toEqual(bob);
  });

  it('deleteMatching by sid ends that provider session only; by sub and sid, sessions matching both', async () => {
    const sub = `user-${randomUUID()}`;
    const one = makeSession({ sub, sid: 'sid-one' });
    const two = makeSession({ sub, sid: 'sid-two' });
    for (const session of [one, two]) await store.set(session);
    expect(await store.deleteMatching({ issuer: ISSUER, sid: 'sid-one' })).toBe(1);
    expect(await store.get(one.id)).toBeUndefined();
    expect(await store.deleteMatching({ issuer: ISSUER, sub: 'not-the-user', sid: 'sid-two' })).toBe(0);
    expect(await store.deleteMatching({ issuer: ISSUER, sub, sid: 'sid-two' })).toBe(1);
    expect(await store.get(two.id)).toBeUndefined();
  });

  it('deleteMatching with neither sub nor sid ends nothing', async () => {
    const session = makeSession();
    await store.set(session);
    expect(await store.deleteMatching({ issuer: ISSUER })).toBe(0);
    expect(await store.get(session.id)).toEqual(session);
  });
});
