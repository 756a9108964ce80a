/**
 * The Sentinel primary failed over under load: two `gatehouse start` instances over PostgreSQL and
 * a Redis Sentinel set of this file (a primary, a replica, three sentinels), serving
 * client_credentials and refresh token requests, while the primary is switched to the replica
 * (`SENTINEL FAILOVER`) and then killed outright (SIGKILL, the sentinels elect the other node).
 * Every answer must be 200 or 503 (never a 500, never a hang), service must come back by itself,
 * without restarting Gatehouse, within a bound (the recovery time is printed), and nothing
 * durable may be lost.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, createWorkspace, killAll, pollUntil, type RunningServer, type Workspace } from '../helpers/cli.js';
import { dropSchema, uniqueSchema } from '../helpers/postgres.js';
import { startSentinelSet, type SentinelSet } from '../helpers/redis-topologies.js';
import {
  addClient,
  addUser,
  authorizationUrl,
  baseOf,
  cli,
  introspect,
  pkce,
  postgresRedisEnv,
  redeemCode,
  refresh,
  signInAt,
  sleep,
  startInstance,
  type ScaleClient,
  type ScaleUser,
} from '../helpers/scale.js';
import { UserAgent } from '../helpers/user-agent.js';

/** Longer than this is a hang. */
const HANG_MS = 5000;
/** Service must be back this long after the failover began. */
const RECOVERY_BOUND_MS = 10_000;

const schema = uniqueSchema();
let sentinel: SentinelSet;
let ws: Workspace;
let env: Record<string, string>;
let instances: RunningServer[];
let alice: ScaleUser;
let web: ScaleClient;
let machine: ScaleClient;

beforeAll(async () => {
  sentinel = await startSentinelSet();
  ws = createWorkspace();
  // Limits out of the way: the load is the point, not the throttling.
  writeFileSync(
    join(ws.cwd, 'gatehouse.config.json'),
    JSON.stringify({ rateLimits: { tokenPerClient: { points: 1_000_000, seconds: 60 }, requestsPerIp: { points: 1_000_000, seconds: 60 } } }),
  );
  // A failover is logged on every request it fails: keep the output short.
  env = postgresRedisEnv({ schema, redisUrl: sentinel.url }, { GATEHOUSE_LOG_LEVEL: 'fatal' });
  await cli(ws, env, ['migrate']);
  alice = await addUser(ws, env, 'alice');
  [web, machine] = await Promise.all([addClient(ws, env, 'Web app'), addClient(ws, env, 'Machine', ['--grant', 'client_credentials', '--scope', 'api:read'])]);
  instances = await Promise.all([startInstance(ws, env), startInstance(ws, env)]);
}, 60_000);

afterAll(async () => {
  await Promise.all((instances ?? []).map((instance) => instance.stop('SIGKILL')));
  await killAll();
  await sentinel?.stop();
  await dropSchema(schema);
  ws?.remove();
});

/** One signed-in browser: every later authorization request at either instance skips the login. */
const browser = new UserAgent();

/** A new token family for alice at `instance`: an authorization code, redeemed. */
async function tokensAt(instance: RunningServer): Promise<{ access_token: string; refresh_token: string }> {
  const { verifier, challenge } = pkce();
  const { code } = await signInAt(browser, instance, authorizationUrl(instance, web, challenge), alice);
  const tokens = await redeemCode(instance, web, code, verifier);
  expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
  return tokens.body as { access_token: string; refresh_token: string };
}

interface Outcome {
  kind: 'token' | 'refresh';
  /** `Date.now()` when sent and when answered. */
  start: number;
  end: number;
  status: number | 'hang' | 'network';
  /** The OAuth `error` of the answer, or what the request failed with. */
  error?: string;
}

async function timed(kind: Outcome['kind'], request: () => Promise<Response>): Promise<Outcome & { body: Record<string, unknown> }> {
  const start = Date.now();
  try {
    const response = await request();
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    const error = typeof body.error === 'string' ? body.error : undefined;
    return { kind, start, end: Date.now(), status: response.status, error, body };
  } catch (error) {
    const status = (error as Error).name === 'TimeoutError' ? 'hang' : 'network';
    return { kind, start, end: Date.now(), status, error: String(error), body: {} };
  }
}

function tokenRequest(instance: RunningServer): Promise<Outcome> {
  return timed('token', () =>
    fetch(`${baseOf(instance)}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(machine.clientId, machine.clientSecret) },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }),
      signal: AbortSignal.timeout(HANG_MS),
    }),
  );
}

function refreshRequest(instance: RunningServer, refreshToken: string) {
  return timed('refresh', () =>
    fetch(`${baseOf(instance)}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(web.clientId, web.clientSecret) },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      signal: AbortSignal.timeout(HANG_MS),
    }),
  );
}

/** What a run of the load saw. */
interface LoadReport {
  outcomes: Outcome[];
  /** Refresh chains that ended in a refusal, with the answers of that chain just before. */
  broken: { chain: number; history: Outcome[] }[];
}

/**
 * Closed loops until `stop` resolves: per instance, one client_credentials loop and one refresh
 * chain (rotating its token at every 200; retrying the same token after a 503, as a client would).
 */
async function runLoad(stop: Promise<unknown>, chains: string[]): Promise<LoadReport> {
  let stopped = false;
  void stop.finally(() => (stopped = true));
  const outcomes: Outcome[] = [];
  const broken: LoadReport['broken'] = [];
  const tokenLoop = async (index: number) => {
    while (!stopped) {
      outcomes.push(await tokenRequest(instances[index % instances.length]!));
      await sleep(20);
    }
  };
  const refreshLoop = async (chain: number) => {
    let token = chains[chain]!;
    const history: Outcome[] = [];
    for (let step = 0; !stopped; step += 1) {
      // Every rotation at the other instance than the one before.
      const answer = await refreshRequest(instances[(chain + step) % instances.length]!, token);
      outcomes.push(answer);
      history.push(answer);
      if (answer.status === 200) token = answer.body.refresh_token as string;
      else if (answer.status !== 503) {
        broken.push({ chain, history: history.slice(-4) });
        return;
      }
      await sleep(20);
    }
    chains[chain] = token;
  };
  await Promise.all([...instances.map((_, i) => tokenLoop(i)), ...instances.map((_, i) => refreshLoop(i))]);
  return { outcomes, broken };
}

/**
 * From `since`, how long until service was back: the end of the last failed answer (none: 0).
 * Checked against both kinds having succeeded after it.
 */
function recoveryMs(outcomes: Outcome[], since: number): number {
  const failed = outcomes.filter((outcome) => outcome.start >= since - HANG_MS && outcome.end >= since && outcome.status !== 200);
  return failed.length === 0 ? 0 : Math.max(...failed.map((outcome) => outcome.end)) - since;
}

/** Runs load around `fault`, until service has been back for a while; returns what it saw. */
async function underLoad(fault: () => Promise<{ ms: number }>, chains: string[]) {
  let settle: () => void = () => undefined;
  const stop = new Promise<void>((resolve) => (settle = resolve));
  const load = runLoad(stop, chains);
  await sleep(1000);
  const began = Date.now();
  const topology = await fault();
  // Service is back once both kinds succeed at both instances again; then a second of steady load.
  await pollUntil(
    async () => {
      const answers = await Promise.all(instances.flatMap((instance) => [tokenRequest(instance), refreshProbe(instance)]));
      return answers.every((answer) => answer.status === 200);
    },
    { timeoutMs: RECOVERY_BOUND_MS * 2, intervalMs: 100, what: 'service to come back after the failover' },
  );
  await sleep(1000);
  settle();
  const report = await load;
  return { ...report, began, topologyMs: topology.ms, recoveryMs: recoveryMs(report.outcomes, began) };
}

/** A refresh of a fresh token family's token would need a sign-in: a probe refreshes a spare chain. */
let probeTokens: string[] = [];
async function refreshProbe(instance: RunningServer): Promise<Outcome> {
  const token = probeTokens.pop();
  if (token === undefined) return { kind: 'refresh', start: Date.now(), end: Date.now(), status: 200 };
  const answer = await refreshRequest(instance, token);
  if (answer.status === 200) probeTokens.push(answer.body.refresh_token as string);
  else if (answer.status === 503) probeTokens.push(token);
  return answer;
}

/**
 * The refresh chains a failover broke, each by its last answer, which must be `invalid_grant` after
 * the failover began: Redis replicates asynchronously, so a rotation the old primary acknowledged
 * just before it was switched or killed may not have reached the replica, and the token it issued
 * is then unknown (documented in docs/production.md). Nothing else may break a chain.
 */
function lostRotations(run: LoadReport & { began: number }): Outcome[] {
  const last = run.broken.map(({ history }) => history.at(-1)!);
  for (const outcome of last) expect(outcome).toMatchObject({ status: 400, error: 'invalid_grant', start: expect.any(Number) });
  for (const outcome of last) expect(outcome.start).toBeGreaterThanOrEqual(run.began);
  return last;
}

/** Answers other than 200 and 503 temporarily_unavailable, but for the `lost` rotations. */
function unexpected(outcomes: Outcome[], lost: Outcome[]): Outcome[] {
  return outcomes.filter(
    (outcome) => !(outcome.status === 200 || (outcome.status === 503 && outcome.error === 'temporarily_unavailable') || lost.includes(outcome)),
  );
}

describe('Redis Sentinel failover under load', () => {
  it('SENTINEL FAILOVER: only 200 or 503, service back without a restart, nothing durable lost', async () => {
    const pids = instances.map((instance) => instance.pid);
    // Issued before the failover and left alone during it: replicated, so still good afterwards.
    const kept = await tokensAt(instances[0]!);
    const chains = [(await tokensAt(instances[0]!)).refresh_token, (await tokensAt(instances[1]!)).refresh_token];
    probeTokens = [(await tokensAt(instances[1]!)).refresh_token];

    const run = await underLoad(() => sentinel.failover(), chains);
    const failures = run.outcomes.filter((outcome) => outcome.status !== 200);
    console.info(
      `SENTINEL FAILOVER under load: sentinels switched the primary in ${run.topologyMs} ms; service back ${run.recoveryMs} ms ` +
        `after the failover began; ${run.outcomes.length} answers, ${failures.length} not 200 ` +
        `(${JSON.stringify(countBy(failures))}), ${run.broken.length} refresh chains broken`,
    );

    expect(unexpected(run.outcomes, lostRotations(run)), 'only 200, or 503 temporarily_unavailable').toEqual([]);
    expect(run.recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(run.outcomes.filter((outcome) => outcome.end < run.began && outcome.status === 200).length).toBeGreaterThan(0);
    expect(run.outcomes.filter((outcome) => outcome.start > run.began + run.recoveryMs && outcome.status === 200).length).toBeGreaterThan(0);

    // The same processes serve: nothing was restarted.
    expect(instances.map((instance) => instance.pid)).toEqual(pids);
    for (const instance of instances) expect((await fetch(`${baseOf(instance)}/readyz`)).status).toBe(200);
    // Tokens issued before, clients and users: all there.
    const rotated = await refresh(instances[1]!, web, kept.refresh_token);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(await introspect(instances[0]!, web, rotated.body.access_token as string)).toMatchObject({ active: true, sub: alice.sub });
    for (const [i, chain] of chains.entries())
      if (!run.broken.some((broken) => broken.chain === i)) expect((await refresh(instances[0]!, web, chain)).status).toBe(200);
    const fresh = await tokensAt(instances[1]!);
    expect((await refresh(instances[0]!, web, fresh.refresh_token)).status).toBe(200);
  }, 90_000);

  it('primary killed (SIGKILL): only 200 or 503, the sentinels elect the replica and service comes back by itself', async () => {
    const pids = instances.map((instance) => instance.pid);
    const kept = await tokensAt(instances[1]!);
    const chains = [(await tokensAt(instances[0]!)).refresh_token, (await tokensAt(instances[1]!)).refresh_token];
    probeTokens = [(await tokensAt(instances[0]!)).refresh_token];

    const run = await underLoad(() => sentinel.killPrimary({ restart: true }), chains);
    const failures = run.outcomes.filter((outcome) => outcome.status !== 200);
    console.info(
      `primary SIGKILLed under load: sentinels elected the replica in ${run.topologyMs} ms; service back ${run.recoveryMs} ms ` +
        `after the kill; ${run.outcomes.length} answers, ${failures.length} not 200 ` +
        `(${JSON.stringify(countBy(failures))}), ${run.broken.length} refresh chains broken`,
    );

    expect(unexpected(run.outcomes, lostRotations(run)), 'only 200, or 503 temporarily_unavailable').toEqual([]);
    expect(run.recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(instances.map((instance) => instance.pid)).toEqual(pids);
    for (const instance of instances) expect((await fetch(`${baseOf(instance)}/readyz`)).status).toBe(200);
    const rotated = await refresh(instances[0]!, web, kept.refresh_token);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const fresh = await tokensAt(instances[0]!);
    expect((await refresh(instances[1]!, web, fresh.refresh_token)).status).toBe(200);
  }, 90_000);

  it('primary switched by hand, its clients left connected (READONLY): they reconnect through the sentinels', async () => {
    const pids = instances.map((instance) => instance.pid);
    const chains = [(await tokensAt(instances[0]!)).refresh_token, (await tokensAt(instances[1]!)).refresh_token];
    probeTokens = [(await tokensAt(instances[0]!)).refresh_token];

    const run = await underLoad(() => sentinel.switchByHand(), chains);
    const failures = run.outcomes.filter((outcome) => outcome.status !== 200);
    console.info(
      `primary switched by hand under load: sentinels re-pointed in ${run.topologyMs} ms; service back ${run.recoveryMs} ms ` +
        `after the switch began; ${run.outcomes.length} answers, ${failures.length} not 200 ` +
        `(${JSON.stringify(countBy(failures))}), ${run.broken.length} refresh chains broken`,
    );

    expect(unexpected(run.outcomes, lostRotations(run)), 'only 200, or 503 temporarily_unavailable').toEqual([]);
    expect(run.recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(instances.map((instance) => instance.pid)).toEqual(pids);
    for (const [i, chain] of chains.entries())
      if (!run.broken.some((broken) => broken.chain === i)) expect((await refresh(instances[1]!, web, chain)).status).toBe(200);
  }, 90_000);
});

function countBy(outcomes: Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key = `${outcome.kind} ${outcome.status}${outcome.error ? ` ${outcome.error.slice(0, 60)}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
