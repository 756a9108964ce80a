/**
 * One `gatehouse start` over PostgreSQL and Redis when they fail: a private `redis-server` child
 * (killed and restarted mid-traffic), PostgreSQL behind a fault proxy (scripts/lib/fault-proxy.mjs;
 * killed and started again: the machine's PostgreSQL is shared, so it is never stopped itself), and
 * a SIGTERM in the middle of requests. An outage must give clean 503 `temporarily_unavailable`
 * answers quickly (never a 500, never a hang), service must resume by itself, and nothing durable
 * may be lost or duplicated.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../scripts/lib/fault-proxy.mjs';
import { basicAuth, createWorkspace, killAll, parseJson, pollUntil, type RunningServer, type Workspace } from '../helpers/cli.js';
import { accepts } from '../helpers/ports.js';
import { adminQuery, dropSchema, uniqueSchema } from '../helpers/postgres.js';
import {
  addClient,
  addUser,
  atInstance,
  authorizationUrl,
  cli,
  baseOf,
  introspect,
  pkce,
  post,
  postgresRedisEnv,
  PrivateRedis,
  refresh,
  signInAndRedeem,
  sleep,
  startInstance,
  type ScaleClient,
  type ScaleUser,
} from '../helpers/scale.js';
import { parseForms, UserAgent } from '../helpers/user-agent.js';

const PG_TARGET = { host: '127.0.0.1', port: 5432 };
/** GATEHOUSE_DB_STATEMENT_TIMEOUT: the longest a request may wait on the database. */
const STATEMENT_TIMEOUT_MS = 2000;
/** Longer than this is a hang. */
const HANG_MS = 5000;

const schema = uniqueSchema();
let ws: Workspace;
let redis: PrivateRedis;
let proxy: FaultProxy;
let env: Record<string, string>;
let server: RunningServer;
let alice: ScaleUser;
let web: ScaleClient;
let machine: ScaleClient;

beforeAll(async () => {
  ws = createWorkspace();
  [redis, proxy] = await Promise.all([PrivateRedis.start(), FaultProxy.open(PG_TARGET)]);
  env = postgresRedisEnv(
    { databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/test`, schema, redisUrl: redis.url },
    {
      GATEHOUSE_DB_STATEMENT_TIMEOUT: String(STATEMENT_TIMEOUT_MS),
      // The outage is logged at error level on every request: keep the test's output short.
      GATEHOUSE_LOG_LEVEL: 'fatal',
    },
  );
  // Only start and migrate create an installation; the other commands need one.
  await cli(ws, env, ['migrate']);
  alice = await addUser(ws, env, 'alice');
  [web, machine] = await Promise.all([addClient(ws, env, 'Web app'), addClient(ws, env, 'Machine', ['--grant', 'client_credentials', '--scope', 'api:read'])]);
  server = await startInstance(ws, env);
}, 60_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await killAll();
  await redis?.stop();
  await proxy?.close();
  await dropSchema(schema);
  ws?.remove();
});

interface Outcome {
  at: number;
  status: number | 'hang' | 'network';
  error: unknown;
  ms: number;
}

/** One client_credentials token request, timed; a hang is cut off (and reported) at {@link HANG_MS}. */
async function timedTokenRequest(started: number): Promise<Outcome> {
  const at = Date.now() - started;
  const begin = Date.now();
  try {
    const response = await fetch(`${baseOf(server)}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(machine.clientId, machine.clientSecret) },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }),
      signal: AbortSignal.timeout(HANG_MS),
    });
    const body = (await response.json().catch(() => ({}))) as { error?: unknown };
    return { at, status: response.status, error: body.error, ms: Date.now() - begin };
  } catch (error) {
    return { at, status: (error as Error).name === 'TimeoutError' ? 'hang' : 'network', error: String(error), ms: Date.now() - begin };
  }
}

describe('Redis restarted during traffic', () => {
  it('answers 503 temporarily_unavailable during the outage, and recovers without a restart of Gatehouse', async () => {
    const before = await signInAndRedeem(server, web, alice);
    expect(await introspect(server, web, before.access_token)).toMatchObject({ active: true });

    // A steady stream of 20 requests a second for 6.5 s; Redis dies at 1.5 s and is back at 3.5 s.
    const started = Date.now();
    const inFlight: Promise<Outcome>[] = [];
    const outage = (async () => {
      await sleep(1500);
      const killed = Date.now() - started;
      await redis.stop('SIGKILL');
      const down = Date.now() - started;
      const readyz = await fetch(`${baseOf(server)}/readyz`, { signal: AbortSignal.timeout(HANG_MS) });
      const report = { status: readyz.status, body: (await readyz.json()) as unknown };
      await sleep(Math.max(0, 2000 - (Date.now() - started - down)));
      await redis.start();
      return { killed, down, up: Date.now() - started, readyz: report };
    })();
    while (Date.now() - started < 6500) {
      inFlight.push(timedTokenRequest(started));
      await sleep(50);
    }
    const outcomes = await Promise.all(inFlight);
    const { killed, down, up, readyz } = await outage;

    expect(readyz).toMatchObject({ status: 503, body: { status: 'unavailable', checks: { store: false } } });
    const unexpected = outcomes.filter((outcome) => !(outcome.status === 200 || (outcome.status === 503 && outcome.error === 'temporarily_unavailable')));
    expect(unexpected, 'only 200, or 503 temporarily_unavailable').toEqual([]);
    expect(Math.max(...outcomes.map((outcome) => outcome.ms)), 'the slowest answer (ms)').toBeLessThan(HANG_MS);
    // Answered before Redis died: all served.
    const beforeKill = outcomes.filter((outcome) => outcome.at + outcome.ms < killed).map((outcome) => outcome.status);
    expect(beforeKill.length).toBeGreaterThan(0);
    expect(new Set(beforeKill)).toEqual(new Set([200]));
    expect(outcomes.filter((outcome) => outcome.at > down + 100 && outcome.at < up).length).toBeGreaterThan(0);
    expect(outcomes.some((outcome) => outcome.status === 503)).toBe(true);

    // Back by itself (ioredis reconnects with a back-off of at most 1 s): the same process serves.
    await pollUntil(async () => (await timedTokenRequest(started)).status === 200, { timeoutMs: 5000, what: 'token requests to succeed again' });
    const steady = await Promise.all(Array.from({ length: 10 }, () => timedTokenRequest(started)));
    expect(steady.map((outcome) => outcome.status)).toEqual(Array(10).fill(200));
    expect((await fetch(`${baseOf(server)}/readyz`)).status).toBe(200);

    // Redis ran without persistence, so the restart lost every short-lived artifact: the refresh
    // token and the access token record issued before it are gone. The right answer is a clean
    // refusal — invalid_grant, and "inactive" — not a 500, and never a second rotation. (With a
    // persistent Redis they would still work; both are correct, a half-state is not.)
    const reuse = await Promise.all([refresh(server, web, before.refresh_token), refresh(server, web, before.refresh_token)]);
    expect(reuse).toEqual([
      { status: 400, body: expect.objectContaining({ error: 'invalid_grant' }) },
      { status: 400, body: expect.objectContaining({ error: 'invalid_grant' }) },
    ]);
    expect(await introspect(server, web, before.access_token)).toEqual({ active: false });

    // The durable state is intact: the user signs in again, with her consent remembered.
    const again = await signInAndRedeem(server, web, alice);
    expect((await refresh(server, web, again.refresh_token)).status).toBe(200);
  }, 30_000);

  it('re-subscribes to the invalidation bus: a secret rotated after the restart is honoured at once', async () => {
    expect((await post(server, '/introspect', { token: 'none' }, machine)).status).toBe(200); // cached now
    const rotated = parseJson<{ client_secret: string }>(await cli(ws, env, ['clients', 'rotate-secret', machine.clientId, '--json']));
    const fresh = { clientId: machine.clientId, clientSecret: rotated.client_secret };
    // Far sooner than the client cache's 30 s: the message arrived.
    await pollUntil(async () => (await post(server, '/introspect', { token: 'none' }, fresh)).status === 200, { timeoutMs: 5000, what: 'the new secret' });
    expect((await post(server, '/introspect', { token: 'none' }, machine)).status).toBe(401);
    machine = fresh;
  });
});

describe('PostgreSQL unreachable', () => {
  it('/readyz and requests answer 503 while it is down; service and data are intact when it is back', async () => {
    const tokens = await signInAndRedeem(server, web, alice);
    const consentsBefore = await adminQuery<{ id: string; client_id: string; subject: string }>(`select id, client_id, subject from ${schema}.grants`);
    expect(consentsBefore.filter((consent) => consent.client_id === web.clientId && consent.subject === alice.sub)).toHaveLength(1);
    // A client no instance has cached yet: reading it needs the database.
    const uncached = await addClient(ws, env, 'Added before the outage', ['--grant', 'client_credentials', '--scope', 'api:read']);

    await proxy.kill();
    try {
      const timed = async <T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> => {
        const begin = Date.now();
        const value = await work();
        return { value, ms: Date.now() - begin };
      };
      const bound = STATEMENT_TIMEOUT_MS + 1500;

      const readyz = await timed(() => fetch(`${baseOf(server)}/readyz`));
      expect(readyz.value.status).toBe(503);
      expect(await readyz.value.json()).toMatchObject({ status: 'unavailable', checks: { store: false } });
      expect(readyz.ms).toBeLessThan(bound);

      // The refresh grant reads the consent (database) before it rotates anything (Redis).
      const refreshed = await timed(() => refresh(server, web, tokens.refresh_token));
      expect(refreshed.value).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable' } });
      expect(refreshed.ms).toBeLessThan(bound);

      const unknownClient = await timed(() => post(server, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, uncached));
      expect(unknownClient.value).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable' } });
      expect(unknownClient.ms).toBeLessThan(bound);

      // Whatever else is asked answers quickly, and never with a 500.
      const others = await Promise.all([
        timed(async () => (await fetch(`${baseOf(server)}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status),
        timed(async () => (await post(server, '/introspect', { token: tokens.access_token }, web)).status),
        timed(async () => (await post(server, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, machine)).status),
        timed(async () => (await fetch(authorizationUrl(server, web, pkce().challenge), { redirect: 'manual' })).status),
      ]);
      for (const other of others) {
        expect([200, 303, 503]).toContain(other.value);
        expect(other.ms).toBeLessThan(bound);
      }
    } finally {
      await proxy.start();
    }

    // Back without a restart: the pool opens new connections.
    await pollUntil(async () => (await fetch(`${baseOf(server)}/readyz`)).status === 200, { timeoutMs: 10_000, what: '/readyz to answer 200' });
    expect((await post(server, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, uncached)).status).toBe(200);

    // The refresh token the outage refused was not burnt: it rotates once, and its successor works.
    const rotated = await refresh(server, web, tokens.refresh_token);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect((await refresh(server, web, rotated.body.refresh_token as string)).status).toBe(200);

    // In the database: the same consent for alice and the web app, once; no row twice; and the audit
    // chain written across the outage still verifies.
    const consentsAfter = await adminQuery<{ id: string; client_id: string; subject: string }>(`select id, client_id, subject from ${schema}.grants`);
    expect(consentsAfter.map((consent) => consent.id).sort()).toEqual(consentsBefore.map((consent) => consent.id).sort());
    expect(await adminQuery(`select id from ${schema}.grants group by id having count(*) > 1`)).toEqual([]);
    expect(await adminQuery(`select client_id from ${schema}.clients group by client_id having count(*) > 1`)).toEqual([]);
    const verified = parseJson<{ ok: boolean }>(await cli(ws, env, ['audit', 'verify', '--json']));
    expect(verified.ok).toBe(true);
  }, 40_000);
});

describe('SIGTERM', () => {
  const IN_FLIGHT = 5;
  it('lets in-flight requests finish, exits 0, and refuses new connections', async () => {
    // Browsers at the login form; each sign-in POST hashes a password (argon2id), so takes a while.
    // Five: each in-flight attempt holds one of alice's five per-account + address attempts until
    // its password is verified (spend, then check), so a sixth concurrent one would get 429.
    const browsers = await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        const ua = new UserAgent();
        const leaves = (location: string) => !location.startsWith(`${baseOf(server)}/`);
        const redirect = await ua.open(authorizationUrl(server, web, pkce().challenge), {}, leaves);
        const page = await ua.open(atInstance(redirect.url, server), {}, leaves);
        const form = parseForms(page.body).find((candidate) => candidate.action.includes('/login'));
        if (!form) throw new Error(`no login form at ${page.url}`);
        return {
          path: new URL(atInstance(new URL(form.action, page.url).href, server)).pathname,
          cookie: [...ua.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
          body: new URLSearchParams({ ...form.fields, username: alice.username, password: alice.password }).toString(),
        };
      }),
    );

    // Each on a connection of its own, sent in full before the signal.
    let pending = 0;
    const sent: Promise<void>[] = [];
    const answers = browsers.map(
      (browser) =>
        new Promise<number>((resolve, reject) => {
          pending += 1;
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port: server.port,
              method: 'POST',
              path: browser.path,
              agent: false,
              headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.cookie, 'content-length': Buffer.byteLength(browser.body) },
            },
            (response) => {
              response.resume();
              response.once('end', () => {
                pending -= 1;
                resolve(response.statusCode!);
              });
            },
          );
          req.once('error', reject);
          sent.push(new Promise((done) => req.once('finish', () => done())));
          req.end(browser.body);
        }),
    );
    await Promise.all(sent);
    await sleep(20); // read by the server
    const exit = server.stop('SIGTERM');

    // New connections are refused while the in-flight requests finish.
    const refusedAt = await pollUntil(async () => !(await accepts(server.port, 200)) && { pending }, {
      timeoutMs: 5000,
      intervalMs: 5,
      what: 'the listener to close',
    });
    const statuses = await Promise.all(answers);
    // A signed-in user is sent on (to the consent page): every sign-in completed normally.
    expect(statuses).toEqual(Array(IN_FLIGHT).fill(303));
    expect(await exit).toBe(0);
    expect(await accepts(server.port)).toBe(false);
    expect(refusedAt.pending, 'requests still in flight when new connections were first refused').toBeGreaterThan(0);
  });
});
