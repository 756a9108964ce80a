/**
 * OpenID Connect Back-Channel Logout 1.0, the sender: Gatehouse tells each client that took part in
 * a session when it ends. End to end with `gatehouse/client`'s receiver (an RP signs in through
 * Gatehouse's pages, the user signs out at Gatehouse, the RP's local session is gone); delivery
 * through failures (500, a receiver that never answers), across a restart (SQLite file and
 * PostgreSQL) and exactly once between two instances sharing PostgreSQL.
 *
 * Gatehouse is driven in-process through `server.fetch`; the receivers listen on 127.0.0.1, reached
 * through the SSRF-safe fetcher with loopback allowed (`protection.unsafeFetchAllowList`).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryTokenStore, createOAuthClient, type OAuthClient } from '../../src/client/index.js';
import type { Store } from '../../src/stores/contract.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { retryDelay } from '../../src/server/logout/delivery.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { APP_REDIRECT, authorize, Browser, redeemCode, expectTokens, registerFlowClient, seedUsers, startFlow, type FlowClient } from '../helpers/flow.js';
import { dropSchema, POSTGRES_URL, postgresUnavailable, uniqueSchema } from '../helpers/postgres.js';
import { startServer, type TestServer, type TestServerOptions } from '../helpers/server.js';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const RP_SECRET = 'r'.repeat(40);

/** How a receiver answers its next requests, in order; `ok` once they run out. */
type Behaviour = 'ok' | 'fail' | 'hang';

interface Receiver {
  url: string;
  /** The logout tokens received, in order (also those answered with a failure). */
  tokens: string[];
  behaviours: Behaviour[];
  /** When set, answers the requests it does not fail (the RP's receiver). */
  handler?: (request: Request) => Promise<Response>;
  close(): Promise<void>;
}

/** Polls `check` until it holds (a real wait: deliveries travel over loopback HTTP). */
async function pollUntil(
  check: () => Promise<unknown>,
  { timeoutMs, intervalMs, what }: { timeoutMs: number; intervalMs: number; what: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

const receivers: Receiver[] = [];
const servers: TestServer[] = [];

async function startReceiver(): Promise<Receiver> {
  const hanging: IncomingMessage[] = [];
  const receiver: Receiver = { url: '', tokens: [], behaviours: [], close: async () => undefined };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      receiver.tokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      const behaviour = receiver.behaviours.shift() ?? 'ok';
      if (behaviour === 'hang') {
        hanging.push(request);
        return;
      }
      if (behaviour === 'fail') {
        response.writeHead(500).end();
        return;
      }
      if (!receiver.handler) {
        response.writeHead(200).end();
        return;
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers.set(name, value);
      void receiver.handler(new Request(receiver.url, { method: 'POST', headers, body })).then(async (answer) => {
        response.writeHead(answer.status, Object.fromEntries(answer.headers));
        response.end(await answer.text());
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`;
  receiver.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  receivers.push(receiver);
  return receiver;
}

/** Gatehouse settings of these tests: loopback receivers allowed, quick polling, short deadlines. */
function senderOptions(overrides: TestServerOptions['backchannelLogout'] = {}): TestServerOptions {
  return {
    protection: { unsafeFetchAllowList: ['127.0.0.1'], unsafeFetchAllowHttp: true },
    backchannelLogout: { pollIntervalMs: 50, retryDelayMs: 100, timeoutMs: 300, ...overrides },
  };
}

/** A server on `store` (whose clock is `clock`), closed after the test. */
async function serverOn(store: Store, clock: FakeClock, overrides: TestServerOptions['backchannelLogout'] = {}): Promise<TestServer> {
  const server = await startServer({ ...senderOptions(overrides), store, clock });
  servers.push(server);
  return server;
}

/** Signs `client` in as alice in `browser`, then signs out at Gatehouse's end-session endpoint with the ID token. */
async function signInAndOut(server: TestServer, browser: Browser, client: FlowClient, user: Parameters<typeof authorize>[3]): Promise<string> {
  const authorized = await authorize(browser, server, client, user);
  const tokens = await expectTokens(await redeemCode(server, client, authorized.code, authorized.verifier));
  const sid = decodeClaims(tokens.id_token!).sid as string;
  const logout = new URL('/logout', server.issuer);
  logout.search = new URLSearchParams({ id_token_hint: tokens.id_token!, client_id: client.clientId }).toString();
  await browser.open(logout.href);
  return sid;
}

function decodeClaims(token: string): JWTPayload {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as JWTPayload;
}

/** Verifies a logout token as §2.6 asks, against the server's published keys at its time. */
async function verifyLogoutToken(server: TestServer, token: string, clientId: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, createLocalJWKSet(await server.jwks()), {
    issuer: server.issuer,
    audience: clientId,
    typ: 'logout+jwt',
    currentDate: new Date(server.clock.now()),
  });
  return payload;
}

afterEach(async () => {
  for (const server of servers.splice(0)) await server.server.close();
  for (const receiver of receivers.splice(0)) await receiver.close();
});

describe('back-channel logout end to end with gatehouse/client', () => {
  it('the RP signs in through Gatehouse, the user signs out there, and the RP’s session ends', async () => {
    const receiver = await startReceiver();
    // Close to real time: the RP checks the ID token's iat against its own clock.
    const clock = new FakeClock(Date.now());
    const flow = await startFlow({ ...senderOptions(), clock }, { backchannelLogoutUri: receiver.url, backchannelLogoutSessionRequired: true });
    servers.push(flow.server);
    const { server, users, client } = flow;
    const discovery = (await (await server.get('/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });

    const rp: OAuthClient = createOAuthClient({
      issuer: server.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret!,
      redirectUri: APP_REDIRECT,
      secret: RP_SECRET,
      tokenStore: createMemoryTokenStore(),
      allowInsecureRequests: true,
      fetch: (input, init) => server.server.fetch(new Request(input, init)),
    });
    receiver.handler = (request) => rp.backchannelLogout(request);

    // The RP sends the browser to Gatehouse; alice signs in and consents; the RP takes the callback.
    const { url, setCookie } = await rp.authorizationUrl();
    let page = await flow.browser.open(url.href);
    for (let step = 0; step < 3 && !page.location; step += 1) {
      page = page.body.includes('/login"')
        ? await flow.browser.submit(page, { username: users.alice.username, password: users.alice.password })
        : await flow.browser.submit(page, {}, { button: 'approve' });
    }
    const signedIn = await rp.handleCallback(new Request(page.location!, { headers: { cookie: setCookie.split(';')[0]! } }));
    const cookie = signedIn.setCookies
      .filter((value) => !/max-age=0/i.test(value))
      .map((value) => value.split(';')[0])
      .join('; ');
    const atApp = () => rp.getSession(new Request('https://app.example.com/profile', { headers: { cookie } }));
    expect((await atApp())?.sid).toEqual(expect.any(String));

    // alice signs out at Gatehouse (RP-initiated, with the ID token as the hint).
    const logout = new URL('/logout', server.issuer);
    logout.search = new URLSearchParams({ id_token_hint: signedIn.session.tokens.idToken!, client_id: client.clientId }).toString();
    await flow.browser.open(logout.href);

    await pollUntil(async () => (await atApp()) === undefined, { timeoutMs: 5000, intervalMs: 20, what: 'the RP session to end' });
    expect(receiver.tokens).toHaveLength(1);
    const token = receiver.tokens[0]!;
    expect(decodeProtectedHeader(token).typ).toBe('logout+jwt');
    const claims = await verifyLogoutToken(server, token, client.clientId);
    expect(claims).toMatchObject({ sub: users.alice.record.id, sid: signedIn.session.sid, events: { [BACKCHANNEL_EVENT]: {} } });
    expect(claims).not.toHaveProperty('nonce');
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(120);
    // The receiver has answered; the sender records the delivery right after. Closing waits for
    // deliveries under way, so the queue is then empty.
    await server.server.close();
    expect(await server.store.logoutDeliveries.list()).toEqual([]);
    const delivered = (await server.store.audit.tail(20)).filter((event) => event.type === 'logout.backchannel_delivered');
    expect(delivered).toMatchObject([{ clientId: client.clientId, subject: users.alice.record.id, outcome: 'success' }]);
  });

  it('an operator signing a user out everywhere notifies each session’s client once, and no client that took part in none', async () => {
    const receiver = await startReceiver();
    const clock = new FakeClock(Date.now());
    const flow = await startFlow({ ...senderOptions(), clock }, { backchannelLogoutUri: receiver.url });
    servers.push(flow.server);
    const { server, users, client } = flow;
    const bystander = await registerFlowClient(server, { backchannelLogoutUri: receiver.url });
    // Two sign-ins of alice in two browsers, then an operator signs her out everywhere.
    const first = new Browser(server);
    const second = new Browser(server);
    await authorize(first, server, client, users.alice);
    await authorize(second, server, client, users.alice);
    await authorize(second, server, client, users.alice); // the same client twice in one session: one notification
    const { revokeUserSessions } = await import('../../src/server/admin/users.js');
    await revokeUserSessions(server.store, clock, users.alice.username);
    await pollUntil(async () => receiver.tokens.length >= 2 || undefined, { timeoutMs: 5000, intervalMs: 20, what: 'two notifications' });
    const claims = await Promise.all(receiver.tokens.map((token) => verifyLogoutToken(server, token, client.clientId)));
    expect(new Set(claims.map((claim) => claim.sid)).size).toBe(2);
    expect(claims.every((claim) => claim.aud === client.clientId)).toBe(true);
    // The bystander client took part in no session: nothing for it.
    expect(claims.some((claim) => claim.aud === bystander.clientId)).toBe(false);
  });
});

describe('a new sign-in of the same user in the same browser (prompt=login)', () => {
  it('keeps its clients signed in, and at sign-out tells each with the sid its ID tokens carry', async () => {
    const receiver = await startReceiver();
    const clock = new FakeClock(Date.now());
    const flow = await startFlow({ ...senderOptions(), clock }, { backchannelLogoutUri: receiver.url });
    servers.push(flow.server);
    const { server, users, client, browser } = flow;
    const sidOf = async (overrides: Record<string, string> = {}) => {
      const authorized = await authorize(browser, server, client, users.alice, overrides);
      const tokens = await expectTokens(await redeemCode(server, client, authorized.code, authorized.verifier));
      return { sid: decodeClaims(tokens.id_token!).sid as string, idToken: tokens.id_token! };
    };
    const first = await sidOf();
    const second = await sidOf({ prompt: 'login' });
    expect(second.sid).not.toBe(first.sid);
    // Replaced, not ended: nothing queued for the first session's client.
    expect(await server.store.logoutDeliveries.list()).toEqual([]);

    const logout = new URL('/logout', server.issuer);
    logout.search = new URLSearchParams({ id_token_hint: second.idToken, client_id: client.clientId }).toString();
    await browser.open(logout.href);
    await pollUntil(async () => receiver.tokens.length >= 2, { timeoutMs: 5000, intervalMs: 20, what: 'two notifications' });
    const sids = await Promise.all(receiver.tokens.map(async (token) => (await verifyLogoutToken(server, token, client.clientId)).sid));
    expect(sids.sort()).toEqual([first.sid, second.sid].sort());
  });

  it('another user signing in in that browser ends the first user’s session, and its clients are told', async () => {
    const receiver = await startReceiver();
    const clock = new FakeClock(Date.now());
    const flow = await startFlow({ ...senderOptions(), clock }, { backchannelLogoutUri: receiver.url });
    servers.push(flow.server);
    const { server, users, client, browser } = flow;
    await authorize(browser, server, client, users.alice);
    await authorize(browser, server, client, users.bob, { prompt: 'login' });
    await pollUntil(async () => receiver.tokens.length >= 1, { timeoutMs: 5000, intervalMs: 20, what: 'a notification' });
    expect(await verifyLogoutToken(server, receiver.tokens[0]!, client.clientId)).toMatchObject({ sub: users.alice.record.id });
  });
});

describe('delivery through failures', () => {
  it('a receiver that answers 500, then never answers, gets the token the third time', async () => {
    const receiver = await startReceiver();
    receiver.behaviours.push('fail', 'hang');
    const clock = new FakeClock(Date.now());
    const flow = await startFlow({ ...senderOptions(), clock }, { backchannelLogoutUri: receiver.url });
    servers.push(flow.server);
    const { server, users, client } = flow;
    const sid = await signInAndOut(server, flow.browser, client, users.alice);
    // Retries come on the server's clock (backoff of 100 ms, then 200, with jitter): move it along.
    await pollUntil(
      async () => {
        clock.advance(100);
        return (await server.store.logoutDeliveries.list()).length === 0 && receiver.tokens.length === 3;
      },
      { timeoutMs: 5000, intervalMs: 25, what: 'the third attempt to succeed' },
    );
    const claims = await Promise.all(receiver.tokens.map((token) => verifyLogoutToken(server, token, client.clientId)));
    // Signed at each attempt: the same session, a fresh jti each time.
    expect(claims.map((claim) => claim.sid)).toEqual([sid, sid, sid]);
    expect(new Set(claims.map((claim) => claim.jti)).size).toBe(3);
    await server.server.close();
    const events = (await server.store.audit.tail(50)).filter((event) => event.type.startsWith('logout.backchannel'));
    expect(events).toMatchObject([{ type: 'logout.backchannel_delivered', details: { attempts: 3 } }]);
  });

  it('a receiver that never answers holds one delivery slot, not the notifications of other clients', async () => {
    const [tarpit, prompt] = [await startReceiver(), await startReceiver()];
    tarpit.behaviours.push('hang');
    const clock = new FakeClock(Date.now());
    // The tarpit is waited on for 5 s; the others' 30 notifications must all go out well before that.
    const flow = await startFlow({ ...senderOptions({ timeoutMs: 5000 }), clock }, { backchannelLogoutUri: tarpit.url });
    servers.push(flow.server);
    const other = await registerFlowClient(flow.server, { backchannelLogoutUri: prompt.url });
    const now = clock.now();
    const delivery = (clientId: string, i: number, dueAt: number) => ({
      id: `d-${i}`,
      clientId,
      sub: 'user-1',
      sid: `sid-${i}`,
      createdAt: now,
      dueAt,
      attempts: 0,
      lease: null,
    });
    // The tarpit's first, so it is claimed with the first ones.
    await flow.server.store.logoutDeliveries.enqueue([
      delivery(flow.client.clientId, 0, now - 1),
      ...Array.from({ length: 30 }, (_, i) => delivery(other.clientId, i + 1, now)),
    ]);
    await pollUntil(async () => prompt.tokens.length === 30, { timeoutMs: 4000, intervalMs: 20, what: "the other client's 30 notifications" });
    expect(tarpit.tokens).toHaveLength(1);
    await tarpit.close(); // ends the hanging request, so closing the server does not wait for its deadline
  });

  it('gives up after the last attempt and audits it once', async () => {
    const receiver = await startReceiver();
    receiver.behaviours.push('fail', 'fail', 'fail');
    const clock = new FakeClock(Date.now());
    const flow = await startFlow({ ...senderOptions({ attempts: 2 }), clock }, { backchannelLogoutUri: receiver.url });
    servers.push(flow.server);
    await signInAndOut(flow.server, flow.browser, flow.client, flow.users.alice);
    await pollUntil(
      async () => {
        clock.advance(100);
        return (await flow.server.store.logoutDeliveries.list()).length === 0 || undefined;
      },
      { timeoutMs: 5000, intervalMs: 25, what: 'the delivery to be given up' },
    );
    expect(receiver.tokens).toHaveLength(2);
    await flow.server.server.close();
    const events = (await flow.server.store.audit.tail(50)).filter((event) => event.type.startsWith('logout.backchannel'));
    expect(events).toMatchObject([{ type: 'logout.backchannel_failed', outcome: 'failure', details: { attempts: 2, reason: 'status 500' } }]);
  });

  it('backs off exponentially with jitter, up to an hour', () => {
    expect([1, 2, 3].map((attempts) => retryDelay(1000, attempts, () => 1))).toEqual([1000, 2000, 4000]);
    expect([1, 2, 3].map((attempts) => retryDelay(1000, attempts, () => 0))).toEqual([500, 1000, 2000]);
    expect(retryDelay(10_000, 40, () => 1)).toBe(3_600_000);
  });
});

// CI starts PostgreSQL, so there an unreachable server is a failure, never a skip.
const pgUnavailable = process.env.CI ? undefined : await postgresUnavailable();

/** A durable store that can be opened again (a second instance, or the same one after a restart). */
interface DurableBackend {
  name: string;
  /** Opens (another) store on the same data. */
  open(clock: FakeClock): Store;
  cleanup(): Promise<void>;
}

function sqliteBackend(): DurableBackend {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bclogout-'));
  return {
    name: 'SQLite file',
    open: (clock) => createSqliteStore({ filename: join(dir, 'gatehouse.db'), clock }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function postgresBackend(): DurableBackend {
  const schema = uniqueSchema();
  return {
    name: 'PostgreSQL',
    open: (clock) => createPostgresStore({ connectionString: POSTGRES_URL, schema, clock }),
    cleanup: () => dropSchema(schema),
  };
}

const DURABLE = [{ name: 'SQLite file', make: sqliteBackend }, ...(pgUnavailable === undefined ? [{ name: 'PostgreSQL', make: postgresBackend }] : [])];

describe.each(DURABLE)('the queue survives a restart ($name)', ({ make }) => {
  let backend: DurableBackend;
  const stores: Store[] = [];
  beforeAll(() => {
    backend = make();
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await backend.cleanup();
  });

  it('a notification queued by an instance that stopped before sending it is sent by the next one', async () => {
    const receiver = await startReceiver();
    const clock = new FakeClock(Date.now());
    const first = backend.open(clock);
    stores.push(first);
    await first.migrate();
    // The first instance does not poll within this test: it stops before it sends anything.
    const before = await serverOn(first, clock, { pollIntervalMs: 60_000 });
    const users = await seedUsers(first);
    const client = await registerFlowClient(before, { backchannelLogoutUri: receiver.url });
    const sid = await signInAndOut(before, new Browser(before), client, users.alice);
    await before.server.close();
    expect(await first.logoutDeliveries.list()).toMatchObject([{ clientId: client.clientId, sid, attempts: 0 }]);
    expect(receiver.tokens).toEqual([]);
    await first.close();
    stores.splice(stores.indexOf(first), 1);

    const second = backend.open(clock);
    stores.push(second);
    const after = await serverOn(second, clock);
    await pollUntil(async () => receiver.tokens.length === 1 && (await second.logoutDeliveries.list()).length === 0, {
      timeoutMs: 5000,
      intervalMs: 20,
      what: 'the next instance to deliver',
    });
    expect(await verifyLogoutToken(after, receiver.tokens[0]!, client.clientId)).toMatchObject({ sid, sub: users.alice.record.id });
  });
});

describe.skipIf(pgUnavailable !== undefined)('two instances sharing PostgreSQL', () => {
  it('deliver each notification exactly once between them', async () => {
    const backend = postgresBackend();
    const clock = new FakeClock(Date.now());
    const stores = [backend.open(clock), backend.open(clock)];
    try {
      await stores[0]!.migrate();
      const receiver = await startReceiver();
      const [one, two] = [await serverOn(stores[0]!, clock), await serverOn(stores[1]!, clock)];
      const client = await registerFlowClient(one, { backchannelLogoutUri: receiver.url });
      const now = clock.now();
      const queued = Array.from({ length: 40 }, (_, i) => ({
        id: `delivery-${i}`,
        clientId: client.clientId,
        sub: 'user-1',
        sid: `sid-${i}`,
        createdAt: now,
        dueAt: now,
        attempts: 0,
        lease: null,
      }));
      await stores[0]!.logoutDeliveries.enqueue(queued);
      await pollUntil(async () => receiver.tokens.length >= 40 && (await stores[1]!.logoutDeliveries.list()).length === 0, {
        timeoutMs: 10_000,
        intervalMs: 20,
        what: 'every notification to be delivered',
      });
      const sids = await Promise.all(receiver.tokens.map(async (token) => (await verifyLogoutToken(two, token, client.clientId)).sid));
      expect(sids).toHaveLength(40);
      expect(new Set(sids).size).toBe(40);
      await one.server.close();
      await two.server.close();
      // Each delivery audited once, by whichever instance claimed it.
      const delivered = (await stores[0]!.audit.list({ type: 'logout.backchannel_delivered', limit: 100 })).length;
      expect(delivered).toBe(40);
    } finally {
      for (const store of stores) await store.close();
      await backend.cleanup();
    }
  });
});
