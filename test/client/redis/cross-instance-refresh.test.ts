/**
 * Acceptance test of single-flight refresh: a real Gatehouse authorization server listening on
 * loopback, which rotates refresh tokens with no reuse grace (a second use of a refresh token
 * revokes the family, RFC 9700 §4.14.2), and our client signing in through its HTML pages.
 *
 * Two client instances (two processes' worth of state) share one Redis through their own
 * connections; twenty concurrent `getAccessToken` calls split between them make exactly one refresh
 * request. The same holds within one instance on cookie sessions, without a token store.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthClient, type OAuthClient, type OAuthClientOptions } from '../../../src/client/index.js';
import { gatehouse } from '../../../src/client/providers/oidc.js';
import { createRedisTokenStore, type RedisTokenStore } from '../../../src/client/sessions/redis-token-store.js';
import type { ClientSession } from '../../../src/client/sessions/session.js';
import { SecretKeys } from '../../../src/core/secret.js';
import { registerClient } from '../../../src/server/admin/clients.js';
import { createUser } from '../../../src/server/admin/users.js';
import { createAuthorizationServer, type AuthorizationServer } from '../../../src/server/authorization-server.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { parseForms, UserAgent, type Page } from '../../helpers/user-agent.js';
import { deleteKeysUnder, REDIS_URL, uniquePrefix } from './redis-helpers.js';

const SERVER_SECRET = 'gatehouse-server-secret-for-refresh-tests';
const CLIENT_SECRET = 'relying-party-cookie-secret-0123456789abc';
const STORE_SECRET = 'relying-party-redis-secret-0123456789abcd';
// Nothing listens here: the browser stops at the redirect and the test hands the URL to the client.
const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
const PREFIX = uniquePrefix('cross-instance-refresh');
const ALICE = { username: 'alice', password: 'alice-password-1', email: 'alice@example.com', name: 'Alice Liddell' };
/** The server issues access tokens for 60 s. */
const ACCESS_TOKEN_TTL = 60;
/**
 * The instances that refresh run 30 s ahead and refresh 45 s before expiry: the signed-in token
 * (15 s from refresh by then) is due, a freshly issued one (60 s) is not. No sleeping needed.
 */
const AHEAD = { now: () => Date.now() + 30_000, refreshLeeway: 45 } satisfies Partial<OAuthClientOptions>;

interface SeenRequest {
  method: string;
  url: string;
  grantType: string | null;
}

let http: ServerType;
let authorizationServer: AuthorizationServer;
let issuer: string;
let clientId: string;
let clientSecret: string;
let redis: Redis;
const seen: SeenRequest[] = [];
const stores: RedisTokenStore[] = [];

/** Every request of every client instance to the provider goes through here. */
const countingFetch: typeof fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  const body = init?.body;
  const form = body instanceof URLSearchParams ? body : typeof body === 'string' ? new URLSearchParams(body) : undefined;
  seen.push({ method: init?.method ?? 'GET', url, grantType: form?.get('grant_type') ?? null });
  return fetch(input, init);
};

const refreshRequests = (since: number) => seen.slice(since).filter((request) => request.method === 'POST' && request.grantType === 'refresh_token');

function listen(): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    // The issuer needs the port, and the server needs the issuer: bind first, delegate afterwards.
    const server = serve({ fetch: (request) => authorizationServer.fetch(request), hostname: '127.0.0.1', port: 0 }, () => resolve(server));
    server.once('error', reject);
  });
}

beforeAll(async () => {
  http = await listen();
  issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const store = createMemoryStore();
  authorizationServer = createAuthorizationServer({ issuer, store, secret: SERVER_SECRET, logger: false, tokens: { accessTokenTtl: ACCESS_TOKEN_TTL } });
  await authorizationServer.ready();
  const registered = await registerClient(store, new SecretKeys(SERVER_SECRET), { name: 'Refreshing RP', redirectUris: [REDIRECT_URI] }, Date.now());
  clientId = registered.client.clientId;
  clientSecret = registered.clientSecret!;
  await createUser(store, { ...ALICE, emailVerified: true }, Date.now());
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  if (redis) {
    await deleteKeysUnder(redis, PREFIX);
    await redis.quit();
  }
  await authorizationServer?.close();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
});

/** A client instance of the application, as a separate process would build it. */
function clientInstance(options: Partial<OAuthClientOptions> = {}): OAuthClient {
  return createOAuthClient({
    provider: gatehouse(issuer),
    clientId,
    clientSecret,
    redirectUri: REDIRECT_URI,
    secret: CLIENT_SECRET,
    allowInsecureRequests: true,
    fetch: countingFetch,
    ...options,
  });
}

/** A store on its own Redis connection, closed after the file. */
function redisStore(): RedisTokenStore {
  const store = createRedisTokenStore({ redis: REDIS_URL, secret: STORE_SECRET, prefix: PREFIX });
  stores.push(store);
  return store;
}

const isLogin = (page: Page) => parseForms(page.body).some((form) => form.action.includes('/login') && 'password' in form.fields);
const isConsent = (page: Page) => parseForms(page.body).some((form) => form.action.includes('/consent'));
const cookiePair = (setCookie: string) => setCookie.split(';')[0]!;

/**
 * Signs alice in through the server's login and consent pages; returns the cookies the
 * application set (the session's), as a `Cookie` header value.
 */
async function signIn(client: OAuthClient): Promise<{ cookie: string; session: ClientSession }> {
  const { url, setCookie } = await client.authorizationUrl();
  const browser = new UserAgent();
  const atRedirectUri = (location: string) => location.startsWith(REDIRECT_URI);
  let page = await browser.open(url.href, {}, atRedirectUri);
  for (let step = 0; step < 4 && !atRedirectUri(page.url); step += 1) {
    if (isLogin(page))
      page = await browser.submit(page, { username: ALICE.username, password: ALICE.password }, { actionPart: '/login', stopAt: atRedirectUri });
    else if (isConsent(page))
      page = await browser.submit(page, {}, { actionPart: '/consent', button: { name: 'decision', value: 'approve' }, stopAt: atRedirectUri });
    else throw new Error(`unexpected page (status ${page.status}) at ${page.url}:\n${page.body.slice(0, 800)}`);
  }
  expect(page.url.startsWith(REDIRECT_URI), `stopped at ${page.url}`).toBe(true);
  const result = await client.handleCallback(new Request(page.url, { headers: { cookie: cookiePair(setCookie) } }));
  const cookie = result.setCookies
    .filter((value) => !/max-age=0/i.test(value))
    .map(cookiePair)
    .join('; ');
  return { cookie, session: result.session };
}

const withCookie = (cookie: string) => new Request('http://127.0.0.1:8765/profile', { headers: { cookie } });

describe('refresh across two instances sharing a Redis token store', () => {
  it('twenty concurrent getAccessToken calls on two instances make exactly one refresh request', async () => {
    const { cookie, session: signedIn } = await signIn(clientInstance({ tokenStore: redisStore() }));
    expect(cookie).toMatch(/^gh_sid=[\w-]{43}$/);
    expect(signedIn.tokens.refreshToken).toEqual(expect.any(String));
    const original = signedIn.tokens;

    const instanceA = clientInstance({ tokenStore: redisStore(), ...AHEAD });
    const instanceB = clientInstance({ tokenStore: redisStore(), ...AHEAD });
    const sessionA = await instanceA.getSession(withCookie(cookie));
    const sessionB = await instanceB.getSession(withCookie(cookie));
    expect(sessionA?.tokens.accessToken).toBe(original.accessToken);
    expect(sessionB?.tokens.accessToken).toBe(original.accessToken);

    const since = seen.length;
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? instanceA.getAccessToken(sessionA!) : instanceB.getAccessToken(sessionB!))),
    );

    expect(refreshRequests(since)).toHaveLength(1);
    const [fresh] = tokens;
    expect(fresh).not.toBe(original.accessToken);
    expect(new Set(tokens)).toEqual(new Set([fresh]));
    expect(sessionA!.tokens.accessToken).toBe(fresh);
    expect(sessionB!.tokens.accessToken).toBe(fresh);

    // The shared copy has the new access token and the rotated refresh token.
    const stored = await redisStore().get(signedIn.id);
    expect(stored?.tokens.accessToken).toBe(fresh);
    expect(stored?.tokens.refreshToken).toEqual(expect.any(String));
    expect(stored?.tokens.refreshToken).not.toBe(original.refreshToken);
    expect(sessionB!.tokens.refreshToken).toBe(stored?.tokens.refreshToken);

    // The provider still honours it: had the old refresh token been used twice, the family would be revoked.
    const again = await instanceB.getAccessToken(sessionB!, { forceRefresh: true });
    expect(again).not.toBe(fresh);
    expect(refreshRequests(since)).toHaveLength(2);
    // And the user info endpoint accepts the new access token.
    await expect(instanceA.fetchUserInfo({ ...sessionA!, tokens: (await redisStore().get(signedIn.id))!.tokens })).resolves.toMatchObject({
      email: ALICE.email,
    });
  });
});

describe('refresh within one instance on cookie sessions (no token store)', () => {
  it('twenty concurrent getAccessToken calls make exactly one refresh request', async () => {
    const { cookie, session: signedIn } = await signIn(clientInstance());
    expect(cookie).toMatch(/^gh_session\.0=/);
    const instance = clientInstance(AHEAD);
    // Two requests of the same browser at once: two copies of one session.
    const first = (await instance.getSession(withCookie(cookie)))!;
    const second = (await instance.getSession(withCookie(cookie)))!;
    expect(first.tokens.accessToken).toBe(signedIn.tokens.accessToken);

    const since = seen.length;
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => instance.getAccessToken(i % 2 === 0 ? first : second)));

    expect(refreshRequests(since)).toHaveLength(1);
    const [fresh] = tokens;
    expect(fresh).not.toBe(signedIn.tokens.accessToken);
    expect(new Set(tokens)).toEqual(new Set([fresh]));

    // The rotated tokens go back to the browser in the session cookie.
    const setCookies = await instance.commitSession(first, withCookie(cookie));
    expect(setCookies.length).toBeGreaterThan(0);
    const reloaded = await instance.getSession(withCookie(setCookies.map(cookiePair).join('; ')));
    expect(reloaded?.tokens.accessToken).toBe(fresh);
    expect(reloaded?.tokens.refreshToken).not.toBe(signedIn.tokens.refreshToken);
  });
});
