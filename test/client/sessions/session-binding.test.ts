/**
 * Sessions and sign-in cookies belong to the client that made them. Two applications built with
 * `createOAuthClient` may share a `secret` (and a token store): a "partner" app and a "staff" app.
 * A cookie of one, sent to the other (renamed to the other's cookie name when the prefixes
 * differ), must give no session and complete no sign-in — for cookie sessions, the memory token
 * store and the Redis token store. Each part of the binding (cookie prefix, client id, provider
 * issuer) is tried alone, everything else equal. Sessions from before the binding are refused.
 *
 * The provider is a stub `fetch` (endpoints given directly): the token endpoint answers any code,
 * so that nothing but the client's own checks can refuse a foreign cookie.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryTokenStore,
  createOAuthClient,
  OAuthValidationError,
  oauth2,
  requireUser,
  type OAuthClient,
  type TokenStore,
} from '../../../src/client/index.js';
import { createRedisTokenStore, type RedisTokenStore } from '../../../src/client/redis-store.js';
import { SecretKeys } from '../../../src/core/secret.js';
import { deleteKeysUnder, makeSession, REDIS_URL, uniquePrefix } from '../redis/redis-helpers.js';

/** The one secret both applications were (mis)configured with. */
const SHARED_SECRET = 'one-secret-for-partner-and-staff-0123456789';
const AS = 'https://as.example';
const OTHER_AS = 'https://other-as.example';
const APP = 'https://app.example';
const REDIS_PREFIX = uniquePrefix('session-binding');

/** How one application is configured. */
interface AppConfig {
  clientId: string;
  cookiePrefix: string;
  issuer: string;
}

const PARTNER: AppConfig = { clientId: 'partner-app', cookiePrefix: 'partner', issuer: AS };
const STAFF: AppConfig = { clientId: 'staff-app', cookiePrefix: 'staff', issuer: AS };

/** The other application differs from the first in one part of the binding only. */
const ONE_PART_DIFFERS: [string, AppConfig, AppConfig][] = [
  ['the client id', { ...PARTNER, cookiePrefix: 'gh' }, { ...PARTNER, cookiePrefix: 'gh', clientId: 'staff-app' }],
  ['the cookie prefix (cookie renamed)', PARTNER, { ...PARTNER, cookiePrefix: 'staff' }],
  ['the provider issuer', { ...PARTNER, cookiePrefix: 'gh' }, { ...PARTNER, cookiePrefix: 'gh', issuer: OTHER_AS }],
];

let redis: Redis;
const redisStores: RedisTokenStore[] = [];

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  for (const store of redisStores) await store.close();
  await deleteKeysUnder(redis, REDIS_PREFIX);
  await redis.quit();
});

/** Token requests the stub provider received, by client id. */
const tokenRequests: string[] = [];

/** A stub provider at `issuer`: any code and any client get tokens for user-1. */
function stubProvider(issuer: string): typeof fetch {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url === `${issuer}/token`) {
      const basic = new Headers(init?.headers).get('authorization') ?? '';
      tokenRequests.push(
        decodeURIComponent(
          Buffer.from(basic.replace(/^Basic /, ''), 'base64')
            .toString('utf8')
            .split(':')[0]!,
        ),
      );
      return Response.json({ access_token: `at-${randomUUID()}`, token_type: 'Bearer', expires_in: 3600, refresh_token: `rt-${randomUUID()}` });
    }
    if (url === `${issuer}/userinfo`) return Response.json({ sub: 'user-1', email: 'ada@example.com', name: 'Ada' });
    return new Response('not found', { status: 404 });
  };
}

function makeClient(config: AppConfig, tokenStore?: TokenStore): OAuthClient {
  const { issuer } = config;
  return createOAuthClient({
    provider: oauth2({ issuer, authorizationEndpoint: `${issuer}/authorize`, tokenEndpoint: `${issuer}/token`, userinfoEndpoint: `${issuer}/userinfo` }),
    clientId: config.clientId,
    clientSecret: `${config.clientId}-secret`,
    redirectUri: `${APP}/authorize`,
    cookiePrefix: config.cookiePrefix,
    secret: SHARED_SECRET,
    fetch: stubProvider(issuer),
    ...(tokenStore ? { tokenStore } : {}),
  });
}

const cookiePair = (setCookie: string) => setCookie.split(';')[0]!;

/** Cookie pairs (`name=value`) renamed from one prefix to another, as an attacker would. */
function renamed(pairs: string[], from: AppConfig, to: AppConfig): string[] {
  return pairs.map((pair) => (pair.startsWith(`${from.cookiePrefix}_`) ? `${to.cookiePrefix}_${pair.slice(from.cookiePrefix.length + 1)}` : pair));
}

const request = (pairs: string[], path = '/profile') => new Request(`${APP}${path}`, { headers: { cookie: pairs.join('; '), accept: 'application/json' } });

/** Starts a sign-in: the callback's query and the sign-in cookie's pair. */
async function startSignIn(client: OAuthClient): Promise<{ query: string; pair: string }> {
  const { url, setCookie } = await client.authorizationUrl();
  return { query: `code=c&state=${url.searchParams.get('state')!}`, pair: cookiePair(setCookie) };
}

/** Signs in at `client`; the session's cookie pairs. */
async function signIn(client: OAuthClient): Promise<string[]> {
  const { query, pair } = await startSignIn(client);
  const result = await client.handleCallback(request([pair], `/authorize?${query}`));
  return result.setCookies.filter((value) => !value.includes('Max-Age=0')).map(cookiePair);
}

/** Whether `client` sees a signed-in user, through `requireUser` (the glue) and `getSession`. */
async function signedInAt(client: OAuthClient, pairs: string[]): Promise<boolean> {
  const auth = await requireUser(client, request(pairs));
  const session = await client.getSession(request(pairs));
  expect('session' in auth).toBe(session !== undefined);
  if ('response' in auth) expect(auth.response.status).toBe(401);
  return session !== undefined;
}

describe.each([
  { storage: 'cookie sessions', stores: (): [TokenStore | undefined, TokenStore | undefined] => [undefined, undefined] },
  {
    storage: 'a shared memory token store',
    stores: (): [TokenStore | undefined, TokenStore | undefined] => {
      const shared = createMemoryTokenStore();
      return [shared, shared];
    },
  },
  {
    storage: 'a shared Redis token store (one Redis, one prefix, one secret, two apps)',
    stores: (): [TokenStore | undefined, TokenStore | undefined] => {
      const prefix = `${REDIS_PREFIX}${randomUUID()}:`;
      const [a, b] = [0, 1].map(() => createRedisTokenStore({ redis: REDIS_URL, secret: SHARED_SECRET, prefix }));
      redisStores.push(a!, b!);
      return [a, b];
    },
  },
])('sessions are bound to their client: $storage', ({ stores }) => {
  it("the partner's session cookie, renamed to the staff app's cookie name, is refused by the staff app's requireUser()", async () => {
    const [partnerStore, staffStore] = stores();
    const partner = makeClient(PARTNER, partnerStore);
    const staff = makeClient(STAFF, staffStore);
    const partnerCookies = await signIn(partner);
    const staffCookies = await signIn(staff);
    // Each app accepts its own session: the refusal below is the binding, not a broken set-up.
    expect(await signedInAt(partner, partnerCookies)).toBe(true);
    expect(await signedInAt(staff, staffCookies)).toBe(true);

    expect(await signedInAt(staff, renamed(partnerCookies, PARTNER, STAFF))).toBe(false);
    expect(await signedInAt(partner, renamed(staffCookies, STAFF, PARTNER))).toBe(false);
  });

  it.each(ONE_PART_DIFFERS)('a session is refused by a client that differs only in %s', async (_part, first, second) => {
    const [firstStore, secondStore] = stores();
    const a = makeClient(first, firstStore);
    const b = makeClient(second, secondStore);
    const cookies = await signIn(a);
    expect(await signedInAt(a, cookies)).toBe(true);
    expect(await signedInAt(b, renamed(cookies, first, second))).toBe(false);
    // Still good where it belongs.
    expect(await signedInAt(a, cookies)).toBe(true);
  });
});

describe.each([
  { storage: 'the memory token store', store: (): TokenStore => createMemoryTokenStore() },
  {
    storage: 'the Redis token store',
    store: (): TokenStore => {
      const store = createRedisTokenStore({ redis: REDIS_URL, secret: SHARED_SECRET, prefix: `${REDIS_PREFIX}${randomUUID()}:` });
      redisStores.push(store);
      return store;
    },
  },
])('server-side session ids: $storage', ({ store }) => {
  it("the staff app clearing a request that carries the partner's session id leaves the partner's session alone", async () => {
    const shared = store();
    const partner = makeClient(PARTNER, shared);
    const staff = makeClient(STAFF, shared);
    const partnerCookies = await signIn(partner);
    await staff.clearSession(request(renamed(partnerCookies, PARTNER, STAFF)));
    await staff.logout(request(renamed(partnerCookies, PARTNER, STAFF)));
    expect(await signedInAt(partner, partnerCookies)).toBe(true);
  });

  it('a stored session from before the binding (no record of its client) is refused: sign in again', async () => {
    const shared = store();
    const client = makeClient({ ...PARTNER, cookiePrefix: 'gh' }, shared);
    const { boundTo: _none, ...legacy } = makeSession({ issuer: AS, provider: 'oauth2' });
    await shared.set(legacy as Parameters<TokenStore['set']>[0]);
    expect(await shared.get(legacy.id)).toBeDefined();
    expect(await signedInAt(client, [`gh_sid=${legacy.id}`])).toBe(false);
  });
});

describe('cookie sessions from before the binding', () => {
  it('a cookie sealed under the old constant context is refused: sign in again', async () => {
    const client = makeClient({ ...PARTNER, cookiePrefix: 'gh' });
    const { boundTo: _none, ...legacy } = makeSession({ issuer: AS, provider: 'oauth2' });
    const sealed = new SecretKeys(SHARED_SECRET).encrypt(JSON.stringify(legacy), 'gatehouse-client/session');
    expect(await signedInAt(client, [`gh_session.0=${sealed}`])).toBe(false);
  });
});

describe('sign-in (transaction) cookies are bound to their client', () => {
  /** Completes at `to` a sign-in started at `from`, with the cookie renamed to `to`'s prefix. */
  async function crossCallback(from: AppConfig, to: AppConfig): Promise<unknown> {
    const started = await startSignIn(makeClient(from));
    const [pair] = renamed([started.pair], from, to);
    tokenRequests.length = 0;
    try {
      await makeClient(to).handleCallback(request([pair!], `/authorize?${started.query}`));
      return undefined;
    } catch (error) {
      return error;
    }
  }

  it("a sign-in started at the partner app does not complete at the staff app's callback (both with the default cookie prefix)", async () => {
    const error = await crossCallback({ ...PARTNER, cookiePrefix: 'gh' }, { ...STAFF, cookiePrefix: 'gh' });
    expect(error).toBeInstanceOf(OAuthValidationError);
    expect((error as OAuthValidationError).reason).toBe('missing_transaction');
    // Refused before the code was sent anywhere.
    expect(tokenRequests).toEqual([]);
  });

  // The cookie prefix alone was already refused before the binding: the cookie's name was bound.
  it.each(ONE_PART_DIFFERS)('is refused by a client that differs only in %s', async (_part, first, second) => {
    const error = await crossCallback(first, second);
    expect(error).toBeInstanceOf(OAuthValidationError);
    expect((error as OAuthValidationError).reason).toBe('missing_transaction');
    expect(tokenRequests).toEqual([]);
  });

  it('still completes at the client that started it', async () => {
    tokenRequests.length = 0;
    expect(await crossCallback(PARTNER, PARTNER)).toBeUndefined();
    expect(tokenRequests).toEqual([PARTNER.clientId]);
  });
});
