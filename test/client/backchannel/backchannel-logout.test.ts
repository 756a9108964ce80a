/**
 * OpenID Connect Back-Channel Logout 1.0 at the client: `client.backchannelLogout(request)` against
 * a small OpenID provider served here (discovery, JWKS, a token endpoint issuing ID tokens with
 * `sid`), so sessions are real sign-ins and logout tokens are signed with the provider's key.
 * Valid tokens end the sessions they name (§2.7); every malformed one is refused with 400 (§2.6,
 * §2.8) and ends nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryTokenStore, createOAuthClient, type ClientSession, type OAuthClient, type TokenStore } from '../../../src/client/index.js';
import { createRedisTokenStore } from '../../../src/client/redis-store.js';
import { deleteKeysUnder, makeSession, REDIS_URL, uniquePrefix } from '../redis/redis-helpers.js';

const CLIENT_ID = 'backchannel-rp';
const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
const SECRET = 'backchannel-logout-cookie-secret-0123456789';
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const OTHER_ISSUER = 'https://other-provider.example';
const KID = 'provider-key-1';

/** What the provider's token endpoint answers for a code: who signed in, in which provider session. */
interface PendingCode {
  sub: string;
  sid: string;
  nonce: string | null;
}

let provider: Server;
let issuer: string;
let signingKey: CryptoKey;
let publicJwk: JWK;
const codes = new Map<string, PendingCode>();
/** While set, refresh responses wait for it; `refreshArrived` is called when one comes in. */
let refreshGate: Promise<void> | undefined;
let refreshArrived: (() => void) | undefined;

async function startProvider(): Promise<void> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  signingKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'ES256', use: 'sig' };
  provider = createServer((request, response) => {
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(body));
    };
    const path = new URL(request.url ?? '/', issuer).pathname;
    if (request.method === 'GET' && path === '/.well-known/openid-configuration') {
      json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
      });
      return;
    }
    if (request.method === 'GET' && path === '/jwks') {
      json(200, { keys: [publicJwk] });
      return;
    }
    if (request.method === 'POST' && path === '/token') {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const form = new URLSearchParams(body);
        if (form.get('grant_type') === 'refresh_token') {
          refreshArrived?.();
          void (refreshGate ?? Promise.resolve()).then(() =>
            json(200, {
              access_token: randomBytes(24).toString('base64url'),
              token_type: 'Bearer',
              expires_in: 3600,
              refresh_token: randomBytes(24).toString('base64url'),
            }),
          );
          return;
        }
        const code = form.get('code') ?? '';
        const pending = codes.get(code);
        codes.delete(code);
        if (!pending) {
          json(400, { error: 'invalid_grant' });
          return;
        }
        void new SignJWT({ sid: pending.sid, ...(pending.nonce ? { nonce: pending.nonce } : {}) })
          .setProtectedHeader({ alg: 'ES256', kid: KID })
          .setIssuer(issuer)
          .setAudience(CLIENT_ID)
          .setSubject(pending.sub)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(signingKey)
          .then((idToken) =>
            json(200, {
              access_token: randomBytes(24).toString('base64url'),
              token_type: 'Bearer',
              expires_in: 3600,
              refresh_token: randomBytes(24).toString('base64url'),
              id_token: idToken,
            }),
          );
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
}

beforeAll(startProvider);
afterAll(() => new Promise<void>((resolve) => provider.close(() => resolve())));

function makeClient(tokenStore?: TokenStore): OAuthClient {
  return createOAuthClient({
    issuer,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT_URI,
    secret: SECRET,
    allowInsecureRequests: true,
    ...(tokenStore ? { tokenStore } : {}),
  });
}

const cookiePair = (setCookie: string) => setCookie.split(';')[0]!;
const withCookie = (cookie: string) => new Request('http://127.0.0.1:8765/profile', { headers: { cookie } });

/** A sign-in of `sub` in provider session `sid`: the app's session and its cookie. */
async function signIn(client: OAuthClient, sub: string, sid: string): Promise<{ session: ClientSession; cookie: string }> {
  const { url, setCookie } = await client.authorizationUrl();
  const code = randomUUID();
  codes.set(code, { sub, sid, nonce: url.searchParams.get('nonce') });
  const callback = new URL(REDIRECT_URI);
  callback.search = new URLSearchParams({ code, state: url.searchParams.get('state')!, iss: issuer }).toString();
  const result = await client.handleCallback(new Request(callback, { headers: { cookie: cookiePair(setCookie) } }));
  expect(result.session.sid).toBe(sid);
  const cookie = result.setCookies
    .filter((value) => !/max-age=0/i.test(value))
    .map(cookiePair)
    .join('; ');
  return { session: result.session, cookie };
}

interface LogoutTokenOptions {
  key?: CryptoKey;
  /** Claims removed from the defaults. */
  omit?: string[];
  typ?: string;
}

/** A logout token (§2.4) from the provider: `claims` over iss, aud, iat, jti and the event. */
async function logoutToken(claims: JWTPayload, options: LogoutTokenOptions = {}): Promise<string> {
  const omitted = new Set(options.omit);
  const payload: JWTPayload = Object.fromEntries(
    Object.entries({
      iss: issuer,
      aud: CLIENT_ID,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      events: { [BACKCHANNEL_EVENT]: {} },
      ...claims,
    }).filter(([name]) => !omitted.has(name)),
  );
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: KID, typ: options.typ ?? 'logout+jwt' }).sign(options.key ?? signingKey);
}

/** An unsecured JWT (`alg: none`), which must never be accepted. */
function unsecuredToken(claims: JWTPayload): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const payload = { iss: issuer, aud: CLIENT_ID, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), events: { [BACKCHANNEL_EVENT]: {} }, ...claims };
  return `${part({ alg: 'none', typ: 'logout+jwt' })}.${part(payload)}.`;
}

/** The provider's back-channel POST (§2.5). */
function logoutRequest(form: Record<string, string>): Request {
  return new Request('http://127.0.0.1:8765/backchannel-logout', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
}

async function expectRefused(response: Response): Promise<string> {
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as { error: string; error_description?: string };
  expect(body.error).toBe('invalid_request');
  // RFC 6749 §5.2: printable ASCII without '"' and '\\'.
  expect(body.error_description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
  return body.error_description!;
}

let redis: Redis;
const REDIS_PREFIX = uniquePrefix('backchannel-logout');
beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await deleteKeysUnder(redis, REDIS_PREFIX);
  await redis.quit();
});

describe.each([
  { name: 'memory token store', create: (): TokenStore => createMemoryTokenStore() },
  { name: 'Redis token store', create: (): TokenStore => createRedisTokenStore({ redis, secret: SECRET, prefix: `${REDIS_PREFIX}${randomUUID()}:` }) },
])('back-channel logout with a $name', ({ create }) => {
  let store: TokenStore;
  let client: OAuthClient;
  let alice: { session: ClientSession; cookie: string }[];
  let bob: { session: ClientSession; cookie: string };
  /** alice's session with the same subject at another provider, which a logout from ours must not touch. */
  let aliceElsewhere: ClientSession;

  beforeEach(async () => {
    store = create();
    client = makeClient(store);
    alice = [await signIn(client, 'alice', 'op-session-a1'), await signIn(client, 'alice', 'op-session-a2')];
    bob = await signIn(client, 'bob', 'op-session-b1');
    aliceElsewhere = makeSession({ sub: 'alice', sid: 'op-session-a1', issuer: OTHER_ISSUER });
    await store.set(aliceElsewhere);
  });

  const signedIn = async (entry: { cookie: string }) => (await client.getSession(withCookie(entry.cookie))) !== undefined;

  it('a valid token naming sub ends all of that user’s sessions at this provider only', async () => {
    const response = await client.backchannelLogout(logoutRequest({ logout_token: await logoutToken({ sub: 'alice' }) }));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await signedIn(alice[0]!)).toBe(false);
    expect(await signedIn(alice[1]!)).toBe(false);
    expect(await signedIn(bob)).toBe(true);
    expect(await store.get(aliceElsewhere.id)).toBeDefined();
  });

  it('a valid token naming sid ends only that session', async () => {
    const response = await client.backchannelLogout(logoutRequest({ logout_token: await logoutToken({ sid: 'op-session-a1' }) }));
    expect(response.status).toBe(200);
    expect(await signedIn(alice[0]!)).toBe(false);
    expect(await signedIn(alice[1]!)).toBe(true);
    expect(await signedIn(bob)).toBe(true);
    expect(await store.get(aliceElsewhere.id)).toBeDefined();
  });

  it('a valid token naming sub and sid ends the session matching both', async () => {
    const response = await client.backchannelLogout(logoutRequest({ logout_token: await logoutToken({ sub: 'alice', sid: 'op-session-a2' }) }));
    expect(response.status).toBe(200);
    expect(await signedIn(alice[0]!)).toBe(true);
    expect(await signedIn(alice[1]!)).toBe(false);
  });

  it('answers 200 for a user with no session here (nothing to end is not an error)', async () => {
    const response = await client.backchannelLogout(logoutRequest({ logout_token: await logoutToken({ sub: 'carol' }) }));
    expect(response.status).toBe(200);
    expect(await signedIn(alice[0]!)).toBe(true);
  });

  describe('refuses with 400 invalid_request, and ends nothing', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const cases: { name: string; reason: RegExp; form: () => Promise<Record<string, string>> }[] = [
      { name: 'no logout_token', reason: /logout_token is required/, form: async () => ({}) },
      { name: 'an empty logout_token', reason: /logout_token is required/, form: async () => ({ logout_token: '' }) },
      { name: 'a token that is not a JWT', reason: /Invalid Compact JWS/, form: async () => ({ logout_token: 'not-a-jwt' }) },
      {
        name: 'a bad signature (another key, same kid)',
        reason: /signature verification failed/,
        form: async () => ({ logout_token: await logoutToken({ sub: 'alice' }, { key: (await generateKeyPair('ES256')).privateKey }) }),
      },
      { name: 'another audience', reason: /'aud'/, form: async () => ({ logout_token: await logoutToken({ sub: 'alice', aud: 'another-client' }) }) },
      { name: 'another issuer', reason: /'iss'/, form: async () => ({ logout_token: await logoutToken({ sub: 'alice', iss: OTHER_ISSUER }) }) },
      {
        name: 'no events claim',
        reason: /no back-channel logout event/,
        form: async () => ({ logout_token: await logoutToken({ sub: 'alice' }, { omit: ['events'] }) }),
      },
      {
        name: 'events without the back-channel logout event',
        reason: /no back-channel logout event/,
        form: async () => ({ logout_token: await logoutToken({ sub: 'alice', events: { 'http://schemas.openid.net/event/other': {} } }) }),
      },
      {
        name: 'the event not given as a JSON object',
        reason: /no back-channel logout event/,
        form: async () => ({ logout_token: await logoutToken({ sub: 'alice', events: { [BACKCHANNEL_EVENT]: 'yes' } }) }),
      },
      { name: 'a nonce', reason: /must not contain a nonce/, form: async () => ({ logout_token: await logoutToken({ sub: 'alice', nonce: 'n-0S6_WzA2Mj' }) }) },
      { name: 'neither sub nor sid', reason: /neither sub nor sid/, form: async () => ({ logout_token: await logoutToken({}) }) },
      {
        name: 'an iat too old (10 minutes)',
        reason: /'iat' claim timestamp check failed/,
        form: async () => ({ logout_token: await logoutToken({ sub: 'alice', iat: now() - 600 }) }),
      },
      {
        name: 'an iat in the future (1 hour)',
        reason: /'iat' claim timestamp check failed/,
        form: async () => ({ logout_token: await logoutToken({ sub: 'alice', iat: now() + 3600 }) }),
      },
      {
        name: 'an expired token (exp passed)',
        reason: /'exp' claim timestamp check failed/,
        form: async () => ({ logout_token: await logoutToken({ sub: 'alice', iat: now() - 120, exp: now() - 60 }) }),
      },
      { name: 'no iat', reason: /missing required 'iat'/, form: async () => ({ logout_token: await logoutToken({ sub: 'alice' }, { omit: ['iat'] }) }) },
      { name: 'no jti', reason: /missing required 'jti'/, form: async () => ({ logout_token: await logoutToken({ sub: 'alice' }, { omit: ['jti'] }) }) },
      { name: 'alg none', reason: /'alg'/, form: async () => ({ logout_token: unsecuredToken({ sub: 'alice' }) }) },
    ];

    it.each(cases)('$name', async ({ form, reason }) => {
      const response = await client.backchannelLogout(logoutRequest(await form()));
      expect(await expectRefused(response)).toMatch(reason);
      expect(await signedIn(alice[0]!)).toBe(true);
      expect(await signedIn(alice[1]!)).toBe(true);
      expect(await signedIn(bob)).toBe(true);
    });

    it('a replayed token (same jti)', async () => {
      const token = await logoutToken({ sid: 'op-session-a1' });
      expect((await client.backchannelLogout(logoutRequest({ logout_token: token }))).status).toBe(200);
      // alice signs in again in the same provider session; the old token must not end the new one.
      const again = await signIn(client, 'alice', 'op-session-a1');
      expect(await expectRefused(await client.backchannelLogout(logoutRequest({ logout_token: token })))).toMatch(/already used/);
      expect(await signedIn(again)).toBe(true);
    });
  });

  it('answers 405 to GET', async () => {
    const response = await client.backchannelLogout(
      new Request(`http://127.0.0.1:8765/backchannel-logout?logout_token=${await logoutToken({ sub: 'alice' })}`),
    );
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await signedIn(alice[0]!)).toBe(true);
  });
});

describe('back-channel logout with cookie sessions (no token store)', () => {
  let client: OAuthClient;

  beforeEach(() => {
    client = makeClient();
  });

  it('after a valid token for the sub, the old session cookies load no session; others stay', async () => {
    const first = await signIn(client, 'alice', 'op-session-c1');
    const second = await signIn(client, 'alice', 'op-session-c2');
    const bob = await signIn(client, 'bob', 'op-session-c3');
    expect(first.cookie).toMatch(/^gh_session\.0=/);
    expect(await client.getSession(withCookie(first.cookie))).toBeDefined();

    const response = await client.backchannelLogout(logoutRequest({ logout_token: await logoutToken({ sub: 'alice' }) }));
    expect(response.status).toBe(200);
    expect(await client.getSession(withCookie(first.cookie))).toBeUndefined();
    expect(await client.getSession(withCookie(second.cookie))).toBeUndefined();
    expect(await client.getSession(withCookie(bob.cookie))).toBeDefined();

    // Signing in again afterwards gives a working session.
    await sleep(5);
    const later = await signIn(client, 'alice', 'op-session-c4');
    expect(await client.getSession(withCookie(later.cookie))).toMatchObject({ profile: { sub: 'alice' } });
  });

  it('after a valid token for the sid, only that session cookie loads no session', async () => {
    const first = await signIn(client, 'alice', 'op-session-d1');
    const second = await signIn(client, 'alice', 'op-session-d2');
    const response = await client.backchannelLogout(logoutRequest({ logout_token: await logoutToken({ sid: 'op-session-d1' }) }));
    expect(response.status).toBe(200);
    expect(await client.getSession(withCookie(first.cookie))).toBeUndefined();
    expect(await client.getSession(withCookie(second.cookie))).toBeDefined();
  });

  // A token naming both sub and sid (what most providers send) ends only the session matching
  // both, in cookie mode as with a token store (Back-Channel Logout §2.4).
  it('after a valid token naming sub and sid, only the session matching both loads no session', async () => {
    const first = await signIn(client, 'alice', 'op-session-f1');
    const second = await signIn(client, 'alice', 'op-session-f2');
    const response = await client.backchannelLogout(logoutRequest({ logout_token: await logoutToken({ sub: 'alice', sid: 'op-session-f1' }) }));
    expect(response.status).toBe(200);
    expect(await client.getSession(withCookie(first.cookie))).toBeUndefined();
    expect(await client.getSession(withCookie(second.cookie))).toBeDefined();
  });

  it('an invalid token ends nothing', async () => {
    const session = await signIn(client, 'alice', 'op-session-e1');
    await expectRefused(await client.backchannelLogout(logoutRequest({ logout_token: await logoutToken({ sub: 'alice', aud: 'another-client' }) })));
    expect(await client.getSession(withCookie(session.cookie))).toBeDefined();
  });
});

/**
 * A refresh already under way when the logout arrives: it finishes afterwards and writes the
 * session back through `TokenStore.set`. The session must stay ended.
 */
async function refreshRacingLogout(store: TokenStore): Promise<{ before: boolean; after: boolean }> {
  const client = makeClient(store);
  const alice = await signIn(client, 'alice', `op-session-race-${randomUUID()}`);
  let release!: () => void;
  refreshGate = new Promise<void>((resolve) => (release = resolve));
  const arrived = new Promise<void>((resolve) => (refreshArrived = resolve));
  try {
    const refreshing = client.getAccessToken(alice.session, { forceRefresh: true });
    await arrived;
    expect((await client.backchannelLogout(logoutRequest({ logout_token: await logoutToken({ sub: 'alice' }) }))).status).toBe(200);
    const before = (await client.getSession(withCookie(alice.cookie))) !== undefined;
    release();
    await refreshing.catch(() => undefined);
    const after = (await client.getSession(withCookie(alice.cookie))) !== undefined;
    return { before, after };
  } finally {
    release();
    refreshGate = undefined;
    refreshArrived = undefined;
  }
}

describe('a refresh that finishes after the back-channel logout', () => {
  it('does not bring the session back (Redis token store)', async () => {
    const store = createRedisTokenStore({ redis, secret: SECRET, prefix: `${REDIS_PREFIX}${randomUUID()}:` });
    expect(await refreshRacingLogout(store)).toEqual({ before: false, after: false });
  });

  // The refresher writes refreshed tokens with TokenStore.update, which refuses a session that a
  // back-channel logout (or logout()) deleted while the refresh was under way.
  it('does not bring the session back (memory token store)', async () => {
    expect(await refreshRacingLogout(createMemoryTokenStore())).toEqual({ before: false, after: false });
  });
});
