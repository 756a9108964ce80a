/**
 * Introspection mode (RFC 7662): the guard asks the issuer about each token, caches the answer
 * for at most `maxCacheAge` and never past the token's `exp`, sees revocation once the cache entry
 * is over, and accepts only access tokens meant for its API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryIntrospectionCache,
  createResourceGuard,
  type CachedIntrospection,
  type IntrospectionCache,
  type ResourceGuardOptions,
} from '../../src/resource/index.js';
import { Browser, expectTokens, redeemCode, authorize, registerFlowClient, seedUsers, type FlowClient, type TestUser } from '../helpers/flow.js';
import { answer, API, countingFetch, expectBearerError, partsOf, startIssuer, type RunningIssuer } from './support.js';

let as: RunningIssuer;

beforeAll(async () => {
  as = await startIssuer();
});

afterAll(async () => {
  await as?.close();
});

/**
 * An introspection-mode guard authenticated as the resource-server client. `clock.offset` moves
 * the guard's time (and its memory cache's) without moving the issuer's.
 */
function introspectingGuard(introspection: Partial<NonNullable<ResourceGuardOptions['introspection']>> = {}, options: Partial<ResourceGuardOptions> = {}) {
  const net = countingFetch();
  const clock = { offset: 0 };
  const guard = createResourceGuard({
    issuer: as.issuer,
    audience: API,
    fetch: net.fetch,
    allowInsecureRequests: true,
    now: () => Date.now() + clock.offset,
    introspection: { clientId: as.resourceServer.clientId, clientSecret: as.resourceServer.clientSecret, ...introspection },
    ...options,
  });
  return { guard, net, clock };
}

/** A memory cache that records what the guard stores. */
function recordingCache(now: () => number): { cache: IntrospectionCache; stored: CachedIntrospection[] } {
  const inner = createMemoryIntrospectionCache({ now });
  const stored: CachedIntrospection[] = [];
  return {
    stored,
    cache: {
      get: (key) => inner.get(key),
      async set(key, value) {
        stored.push(value);
        await inner.set(key, value);
      },
    },
  };
}

describe('an active access token', () => {
  it('is accepted with the claims the issuer reports, from one introspection call and no JWKS', async () => {
    const { guard, net } = introspectingGuard();
    const token = await as.token('notes:read');
    const verified = await guard.verify(token);
    expect(verified).toMatchObject({ sub: as.machine.clientId, clientId: as.machine.clientId, scopes: ['notes:read'], expiresAt: partsOf(token).claims.exp });
    expect(verified.claims).toMatchObject({ active: true, aud: API, token_type: 'Bearer' });
    expect(net.count('/introspect')).toBe(1);
    expect(net.count('/jwks')).toBe(0);
    // Client authentication at the introspection endpoint is the resource server's (RFC 7662 §2.1).
    await expectBearerError(await answer(guard, token, { scopes: ['notes:write'] }), 403, 'insufficient_scope');
  });

  it('is refused when meant for another audience', async () => {
    const { guard } = introspectingGuard();
    const token = await as.token('notes:read', { resource: null });
    const body = await expectBearerError(await answer(guard, token), 401, 'invalid_token');
    expect(body.error_description).toMatch(/not meant for this API/);
  });

  it('is refused when unknown to the issuer (a forged or foreign string)', async () => {
    const { guard } = introspectingGuard();
    await expectBearerError(await answer(guard, 'bm90LWEtdG9rZW4'), 401, 'invalid_token');
  });
});

describe('the introspection cache and revocation (RFC 7009)', () => {
  it('reuses a cached answer within a long maxCacheAge: no second call, even after revocation', async () => {
    const { guard, net } = introspectingGuard({ maxCacheAge: 600 });
    const token = await as.token('notes:read');
    await guard.verify(token);
    await guard.verify(token);
    expect(net.count('/introspect')).toBe(1);
    await as.revoke(token);
    // The documented trade-off: a revocation is seen only once the cache entry is over.
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
    expect(net.count('/introspect')).toBe(1);
  });

  it('with maxCacheAge 0, asks every time and refuses a token as soon as it is revoked', async () => {
    const { guard, net } = introspectingGuard({ maxCacheAge: 0 });
    const token = await as.token('notes:read');
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
    expect(net.count('/introspect')).toBe(2);
    await as.revoke(token);
    const body = await expectBearerError(await answer(guard, token), 401, 'invalid_token');
    expect(body.error_description).toMatch(/not active/);
    expect(net.count('/introspect')).toBe(3);
  });

  it('with maxCacheAge 1 s, refuses a revoked token once the entry is older than that', async () => {
    const { guard, net, clock } = introspectingGuard({ maxCacheAge: 1 });
    const token = await as.token('notes:read');
    await guard.verify(token);
    await as.revoke(token);
    clock.offset = 900;
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
    expect(net.count('/introspect')).toBe(1);
    clock.offset = 1001;
    await expectBearerError(await answer(guard, token), 401, 'invalid_token');
    expect(net.count('/introspect')).toBe(2);
  });

  it("never keeps an answer past the token's exp, whatever maxCacheAge says", async () => {
    const clock = { offset: 0 };
    const { cache, stored } = recordingCache(() => Date.now() + clock.offset);
    const net = countingFetch();
    const guard = createResourceGuard({
      issuer: as.issuer,
      audience: API,
      fetch: net.fetch,
      allowInsecureRequests: true,
      now: () => Date.now() + clock.offset,
      introspection: { clientId: as.resourceServer.clientId, clientSecret: as.resourceServer.clientSecret, cache, maxCacheAge: 7200 },
    });
    const token = await as.token('notes:read');
    const exp = partsOf(token).claims.exp as number;
    await guard.verify(token);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.until).toBe(exp * 1000);

    clock.offset = exp * 1000 - Date.now() - 1000; // one second before exp: still cached
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
    expect(net.count('/introspect')).toBe(1);
    clock.offset = exp * 1000 - Date.now(); // at exp: the entry is gone, the guard asks again and refuses
    await expectBearerError(await answer(guard, token), 401, 'invalid_token');
    expect(net.count('/introspect')).toBe(2);
  });

  it('caches by a hash of the token, never the token itself', async () => {
    const keys: string[] = [];
    const inner = createMemoryIntrospectionCache();
    const { guard } = introspectingGuard({
      cache: {
        get: (key) => inner.get(key),
        set: async (key, value) => {
          keys.push(key);
          await inner.set(key, value);
        },
      },
    });
    const token = await as.token('notes:read');
    await guard.verify(token);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(token);
    expect(keys[0]!.length).toBeLessThan(64);
  });
});

describe('tokens that are not access tokens for this API', () => {
  let client: FlowClient;
  let alice: TestUser;
  let tokens: { access_token: string; refresh_token?: string; id_token?: string };

  beforeAll(async () => {
    ({ alice } = await seedUsers(as.test.store));
    client = await registerFlowClient(as.test, { scope: 'openid offline_access notes:read', resources: [API] });
    const browser = new Browser(as.test);
    const authorized = await authorize(browser, as.test, client, alice, { scope: 'openid offline_access notes:read' });
    tokens = await expectTokens(await redeemCode(as.test, client, authorized.code, authorized.verifier, { resource: API }));
  });

  it("accepts the user's access token for this API, with the user as sub", async () => {
    const { guard } = introspectingGuard({}, { requiredScopes: ['notes:read'] });
    const verified = await guard.verify(tokens.access_token);
    expect(verified.sub).toBe(alice.record.id);
    expect(verified.clientId).toBe(client.clientId);
  });

  it('refuses a refresh token, which the issuer reports active with token_type refresh_token (RFC 7662 §2.2)', async () => {
    expect(tokens.refresh_token).toEqual(expect.any(String));
    // What Gatehouse answers for it: active, but not an access token, and with no aud at all.
    const introspected = await as.test.introspect(as.resourceServer, tokens.refresh_token!);
    expect(introspected).toMatchObject({ active: true, token_type: 'refresh_token', scope: expect.stringContaining('notes:read') });
    expect(introspected.aud).toBeUndefined();

    const { guard } = introspectingGuard({}, { requiredScopes: ['notes:read'] });
    await expectBearerError(await answer(guard, tokens.refresh_token), 401, 'invalid_token');
  });

  it('refuses a refresh token in JWT mode too', async () => {
    const guard = createResourceGuard({ issuer: as.issuer, audience: API, allowInsecureRequests: true });
    await expectBearerError(await answer(guard, tokens.refresh_token), 401, 'invalid_token');
  });

  it('refuses the ID token, even to a guard whose audience includes the client (typ JWT, RFC 9068 §4)', async () => {
    expect(partsOf(tokens.id_token!).header.typ).not.toBe('at+jwt');
    const jwtGuard = createResourceGuard({ issuer: as.issuer, audience: [API, client.clientId], allowInsecureRequests: true });
    await expectBearerError(await answer(jwtGuard, tokens.id_token), 401, 'invalid_token');
    const { guard } = introspectingGuard({}, { audience: [API, client.clientId] });
    await expectBearerError(await answer(guard, tokens.id_token), 401, 'invalid_token');
  });
});
