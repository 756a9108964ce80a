/**
 * One `gatehouse start` over PostgreSQL and Redis when they freeze: each behind a fault proxy that
 * holds every byte (connections stay open, new ones are accepted, nothing moves), as a stalled
 * network, a paused process or a failover in progress does. Redis is a private `redis-server`; the
 * machine's PostgreSQL is shared and never touched itself.
 *
 * Under a steady load of token, introspection, UserInfo, discovery and JWKS requests, with the
 * default deadlines (docs/deployment.md, "Outages"): every answer is 200, or 503
 * `temporarily_unavailable` with `Retry-After`, never a 500 and never a hang; none takes longer
 * than the deadline of what it waits on (a Redis command 1 s: answered within 2 s; a PostgreSQL
 * connection 3 s, a query 5 s: answered within 5 s), requests that already hold a pooled
 * PostgreSQL connection when the freeze starts included; discovery and the JWKS answer 200
 * throughout; and the service is back within 2 s of the thaw, without a restart. Without the
 * deadlines, requests hang for the whole freeze (6 s and 8 s here), which the bounds below exclude.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../scripts/lib/fault-proxy.mjs';
import { basicAuth, createWorkspace, killAll, type RunningServer, type Workspace } from '../helpers/cli.js';
import { dropSchema, uniqueSchema } from '../helpers/postgres.js';
import {
  addClient,
  addUser,
  baseOf,
  cli,
  post,
  postgresRedisEnv,
  PrivateRedis,
  signInAndRedeem,
  sleep,
  startInstance,
  type ScaleClient,
} from '../helpers/scale.js';

/** A request still running this long is cut off and reported as a hang (longer than any freeze here). */
const HANG_MS = 10_000;
/** On a loaded two-core machine; far below the freezes, so a request that waits one out still fails. */
const SLACK_MS = 1000;
/** The longest answer while Redis is frozen: its 1 s command timeout, answered within 2 s. */
const REDIS_BOUND_MS = 2000;
/**
 * The longest answer while PostgreSQL is frozen: the request deadline (GATEHOUSE_REQUEST_DEADLINE,
 * 4.5 s), which bounds a request's queries together (each has 4 s, a connection 3 s).
 */
const POSTGRES_BOUND_MS = 4500;
/** Service is back this long after the dependency is. */
const BACK_WITHIN_MS = 2000;
/** Between two rounds of requests (one of each kind): 25 requests a second. */
const ROUND_MS = 200;

type Kind = 'token' | 'introspect' | 'userinfo' | 'discovery' | 'jwks';
const KINDS: readonly Kind[] = ['token', 'introspect', 'userinfo', 'discovery', 'jwks'];

interface Outcome {
  kind: Kind;
  /** When it was sent, from the start of the run. */
  at: number;
  ms: number;
  status: number | 'hang' | 'network';
  error: unknown;
  retryAfter: string | null;
}

const schema = uniqueSchema();
let ws: Workspace;
let redis: PrivateRedis;
let redisProxy: FaultProxy;
let postgresProxy: FaultProxy;
let server: RunningServer;
let machine: ScaleClient;
let web: ScaleClient;
/** A client_credentials access token (introspected) and a user's access token (UserInfo). */
let machineToken: string;
let userToken: string;

beforeAll(async () => {
  ws = createWorkspace();
  redis = await PrivateRedis.start();
  [redisProxy, postgresProxy] = await Promise.all([
    FaultProxy.open({ host: '127.0.0.1', port: redis.port }),
    FaultProxy.open({ host: '127.0.0.1', port: 5432 }),
  ]);
  // The deadlines are left at their defaults: those are what the bounds above are about.
  const env = postgresRedisEnv(
    { databaseUrl: `postgres://postgres@127.0.0.1:${postgresProxy.port}/test`, schema, redisUrl: `redis://127.0.0.1:${redisProxy.port}` },
    // Every refusal is logged at error level: keep the test's output short.
    { GATEHOUSE_LOG_LEVEL: 'fatal' },
  );
  await cli(ws, env, ['migrate']);
  const alice = await addUser(ws, env, 'alice');
  [web, machine] = await Promise.all([addClient(ws, env, 'Web app'), addClient(ws, env, 'Machine', ['--grant', 'client_credentials', '--scope', 'api:read'])]);
  server = await startInstance(ws, env);

  userToken = (await signInAndRedeem(server, web, alice)).access_token;
  const issued = await post(server, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, machine);
  expect(issued.status, JSON.stringify(issued.body)).toBe(200);
  machineToken = issued.body.access_token as string;
}, 60_000);

afterAll(async () => {
  redisProxy?.thaw();
  postgresProxy?.thaw();
  await server?.stop('SIGKILL');
  await killAll();
  await redisProxy?.close();
  await postgresProxy?.close();
  await redis?.stop();
  await dropSchema(schema);
  ws?.remove();
});

/** One request of `kind`, timed; a hang is cut off (and reported) at {@link HANG_MS}. */
async function call(kind: Kind, started: number): Promise<Outcome> {
  const at = Date.now() - started;
  const base = baseOf(server);
  const form = (body: Record<string, string>, client: ScaleClient): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.clientId, client.clientSecret) },
    body: new URLSearchParams(body),
  });
  const requests: Record<Kind, () => [string, RequestInit]> = {
    token: () => [`${base}/token`, form({ grant_type: 'client_credentials', scope: 'api:read' }, machine)],
    // Each client its own budget of client authentications (spent while Redis is frozen, too).
    introspect: () => [`${base}/introspect`, form({ token: machineToken }, web)],
    userinfo: () => [`${base}/userinfo`, { headers: { authorization: `Bearer ${userToken}` } }],
    discovery: () => [`${base}/.well-known/openid-configuration`, {}],
    jwks: () => [`${base}/jwks`, {}],
  };
  const [url, init] = requests[kind]();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(HANG_MS) });
    const body = (await response.json().catch(() => ({}))) as { error?: unknown };
    return { kind, at, ms: Date.now() - started - at, status: response.status, error: body.error, retryAfter: response.headers.get('retry-after') };
  } catch (error) {
    const status = (error as Error).name === 'TimeoutError' ? 'hang' : 'network';
    return { kind, at, ms: Date.now() - started - at, status, error: String(error), retryAfter: null };
  }
}

interface Run {
  outcomes: Outcome[];
  frozenAt: number;
  thawedAt: number;
}

/**
 * Rounds of one request of each kind every {@link ROUND_MS}, for `before + frozen + after` ms; the
 * dependency behind `proxy` freezes after `before` ms for `frozen` ms. `atFreeze` sends more
 * requests the moment it freezes.
 */
async function underLoad(
  proxy: FaultProxy,
  before: number,
  frozen: number,
  after: number,
  atFreeze: (started: number) => Promise<Outcome>[] = () => [],
): Promise<Run> {
  const started = Date.now();
  const inFlight: Promise<Outcome>[] = [];
  const freezing = (async () => {
    await sleep(before);
    proxy.freeze();
    const frozenAt = Date.now() - started;
    inFlight.push(...atFreeze(started));
    await sleep(frozen);
    proxy.thaw();
    return { frozenAt, thawedAt: Date.now() - started };
  })();
  while (Date.now() - started < before + frozen + after) {
    for (const kind of KINDS) inFlight.push(call(kind, started));
    await sleep(ROUND_MS);
  }
  const { frozenAt, thawedAt } = await freezing;
  return { outcomes: await Promise.all(inFlight), frozenAt, thawedAt };
}

/** What every run must show: 200 or a clean 503, within `bound`; discovery and JWKS always 200; back after the thaw. */
function expectDeadlinesKept(run: Run, bound: number, dependent: readonly Kind[]): void {
  const { outcomes, frozenAt, thawedAt } = run;
  const unclean = outcomes.filter(
    (outcome) => !(outcome.status === 200 || (outcome.status === 503 && outcome.error === 'temporarily_unavailable' && Number(outcome.retryAfter) >= 1)),
  );
  expect(unclean, 'only 200, or 503 temporarily_unavailable with Retry-After').toEqual([]);

  const slowest = outcomes.reduce((worst, outcome) => (outcome.ms > worst.ms ? outcome : worst));
  expect(slowest.ms, `the slowest answer (${slowest.kind} sent at ${slowest.at} ms, frozen ${frozenAt}-${thawedAt} ms)`).toBeLessThan(bound + SLACK_MS);

  const metadata = outcomes.filter((outcome) => outcome.kind === 'discovery' || outcome.kind === 'jwks');
  expect(new Set(metadata.map((outcome) => outcome.status)), 'discovery and JWKS').toEqual(new Set([200]));

  // The freeze was felt: what needs the dependency was refused while it lasted...
  const refused = outcomes.filter((outcome) => outcome.status === 503);
  expect(refused.length, 'refusals during the freeze').toBeGreaterThan(0);
  expect(refused.every((outcome) => dependent.includes(outcome.kind))).toBe(true);
  // ...and served again once it ended.
  const back = outcomes.filter((outcome) => outcome.at >= thawedAt + BACK_WITHIN_MS);
  expect(back.filter((outcome) => dependent.includes(outcome.kind)).length, 'requests sent after the thaw').toBeGreaterThan(0);
  expect(
    back.filter((outcome) => outcome.status !== 200),
    `requests sent ${BACK_WITHIN_MS} ms or more after the thaw`,
  ).toEqual([]);
}

describe('Redis frozen under load', () => {
  it('answers 200 or 503 within 2 s, discovery and JWKS throughout, and serves again within 2 s of the thaw', async () => {
    const run = await underLoad(redisProxy, 1500, 6000, 3000);
    // Everything but the metadata keeps its state, or its rate limit, in Redis.
    expectDeadlinesKept(run, REDIS_BOUND_MS, ['token', 'introspect', 'userinfo']);
  }, 30_000);
});

describe('PostgreSQL frozen under load', () => {
  it('answers 200 or 503 within 4.5 s (the request deadline), requests holding a pooled connection included, and serves again within 2 s of the thaw', async () => {
    const started = Date.now();
    // Every connection of the pool open and idle when the freeze starts...
    await Promise.all(Array.from({ length: 4 }, () => call('userinfo', started)));
    // ...so the requests sent at that moment take one at once, and their queries go unanswered.
    const run = await underLoad(postgresProxy, 1500, 8000, 3000, (at) => Array.from({ length: 4 }, () => call('userinfo', at)));
    // UserInfo reads the user, which is in PostgreSQL; a client not read in 30 s is read again.
    expectDeadlinesKept(run, POSTGRES_BOUND_MS, ['userinfo', 'token', 'introspect']);
    const frozenSends = run.outcomes.filter((outcome) => outcome.kind === 'userinfo' && outcome.at >= run.frozenAt && outcome.at < run.thawedAt);
    expect(frozenSends.filter((outcome) => outcome.status === 503).length, 'UserInfo refused during the freeze').toBeGreaterThan(0);
  }, 35_000);
});
