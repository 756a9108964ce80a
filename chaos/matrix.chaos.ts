/**
 * `npm run chaos`: the fault matrix. Two `gatehouse start` instances over PostgreSQL and Redis, each
 * dependency behind a TCP proxy (scripts/lib/fault-proxy.mjs), under a bounded mixed load
 * (chaos/lib/load.ts); phase by phase the dependencies are killed, frozen and slowed, instances are
 * killed (-9), reloaded (SIGHUP) and stopped (SIGTERM) under load, in one process and with
 * `--workers 2`, Redis fails over under Sentinel and loses a node of a Cluster, and a soak samples
 * memory. Each phase is a test that fails when one of its criteria does not hold; after the last,
 * the durable state is compared with what it was before the first. The report (chaos/lib/report.ts)
 * is printed and written to CHAOS_OUT (default chaos/results/latest.md), and to RELIABILITY.md with
 * CHAOS_WRITE=1.
 *
 * CHAOS_QUICK=1: short phases (about 2 minutes in all), for development. The full run (30 s
 * freezes, a 2-minute soak) takes about 7 minutes on 2 cores. CHAOS_SAMPLES=DIR keeps every
 * request of each phase as JSON.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cpuModel, idleMachineLoad } from '../bench/lib/proc.mjs';
import type { FaultProxy } from '../scripts/lib/fault-proxy.mjs';
import { killAll, REPO_ROOT } from '../test/helpers/cli.js';
import { adminQuery } from '../test/helpers/postgres.js';
import { startRedisCluster, startSentinelSet, type RedisNode, type SentinelSet } from '../test/helpers/redis-topologies.js';
import { post, refresh, signInAndRedeem, sleep, type ScaleUser, type TokenFamily } from '../test/helpers/scale.js';
import { Load, recoveryMs, summarize, type Sample, type Target } from './lib/load.js';
import { CpuMeter, withDescendants } from './lib/machine.js';
import {
  answeredOk,
  check,
  flowsExplained,
  nothingLost,
  passed,
  recoveredWithin,
  served,
  withinDeadline,
  type PhaseResult,
  type Verdict,
} from './lib/phase.js';
import { renderReport, type DurableRow, type MemorySample } from './lib/report.js';
import { Stack, type Node } from './lib/stack.js';

const QUICK = process.env.CHAOS_QUICK === '1';

/** How long each part of a phase lasts. */
const PLAN = QUICK
  ? { baselineMs: 3000, leadMs: 1000, killMs: 3000, freezeMs: 8000, slowMs: 3000, afterMs: 1000, signalMs: 2500, soakMs: 20_000, soakEveryMs: 4000 }
  : { baselineMs: 10_000, leadMs: 2000, killMs: 10_000, freezeMs: 30_000, slowMs: 10_000, afterMs: 3000, signalMs: 5000, soakMs: 120_000, soakEveryMs: 10_000 };

/**
 * The longest a client may wait, whatever PostgreSQL or Redis do (killed, frozen, slowed): the
 * request deadline, `GATEHOUSE_REQUEST_DEADLINE` (4.5 s by default, docs/production.md), plus
 * {@link QUEUEING_MS} for the time a request spends in the kernel's and the event loop's queues
 * before Gatehouse starts its clock: the 5 s docs/production.md promises as a client measures it.
 */
const REQUEST_DEADLINE_MS = 5000;
/** What {@link REQUEST_DEADLINE_MS} allows beyond `GATEHOUSE_REQUEST_DEADLINE`. */
const QUEUEING_MS = 500;
/** Service is back this soon after the dependency returns, without a restart. */
const RECOVERY_TARGET_MS = 2000;
/** A request is cut off (and counted as a timeout) after this long: well past the deadline. */
const REQUEST_TIMEOUT_MS = 2 * REQUEST_DEADLINE_MS;
/** How long a phase waits for service to come back before it gives up. */
const RECOVERY_WAIT_MS = 15_000;
/** The delay a slowed dependency adds to every chunk, each way. */
const SLOW_CHUNK_MS = 200;
/** The load, per instance. */
const LOAD = { tokenLoops: 2, pauseMs: 25, probeEveryMs: 100 };

let stack: Stack;
let idleOtherLoad = 0;
const phases: PhaseResult[] = [];
const memory: MemorySample[] = [];
const durable: DurableRow[] = [];

interface PhaseContext {
  /** Starts load on `targets` (stopped when the phase ends, if the phase does not stop it first). */
  load(targets: readonly Target[], probe?: boolean): Load;
  verdicts: Verdict[];
  notes: string[];
  recoveryMs?: number | null;
  /** Moments of the phase (`Date.now()`), by name, for CHAOS_SAMPLES. */
  marks: Record<string, number>;
}

/** Runs one phase, records its result, and fails the test when a criterion failed. */
async function phase(name: string, body: (ctx: PhaseContext) => Promise<void>): Promise<void> {
  const mended = await stack.ensureUp();
  const meter = await CpuMeter.start(stack.pids());
  const started = Date.now();
  const loads: Load[] = [];
  const ctx: PhaseContext = {
    load(targets, probe = false) {
      const load = Load.start({
        targets: [...targets],
        machine: stack.machine,
        web: stack.web,
        timeoutMs: REQUEST_TIMEOUT_MS,
        ...LOAD,
        probeEveryMs: probe ? LOAD.probeEveryMs : 0,
      });
      loads.push(load);
      return load;
    },
    verdicts: [],
    notes: mended.map((what) => `before it: ${what}`),
    marks: {},
  };
  try {
    await body(ctx);
  } catch (error) {
    ctx.verdicts.push(check(false, 'ran to its end', (error instanceof Error ? error.message : String(error)).split('\n')[0]!));
  } finally {
    for (const load of loads) await load.stop();
  }
  const samples = loads.flatMap((load) => load.samples);
  // CHAOS_SAMPLES=DIR: every request of the phase as JSON, for a closer look at a failure.
  if (process.env.CHAOS_SAMPLES) {
    mkdirSync(process.env.CHAOS_SAMPLES, { recursive: true });
    const file = `${String(phases.length + 1).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`;
    writeFileSync(join(process.env.CHAOS_SAMPLES, file), JSON.stringify({ name, started, marks: ctx.marks, samples }, null, 1));
  }
  const unavailable = samples.filter((sample) => sample.outcome === 503);
  if (unavailable.length > 0) ctx.notes.push(`503 answers by instance and request: ${countBy(unavailable, (sample) => `${sample.node} ${sample.kind}`)}`);
  const result: PhaseResult = {
    name,
    ms: Date.now() - started,
    summary: summarize(samples),
    ...(ctx.recoveryMs !== undefined ? { recoveryMs: ctx.recoveryMs } : {}),
    otherLoadPercent: await meter.stop(stack.pids()),
    verdicts: ctx.verdicts,
    notes: ctx.notes,
  };
  phases.push(result);
  process.stderr.write(`chaos: ${name}: ${passed(result) ? 'PASS' : 'FAIL'} (${result.summary.requests} requests, longest ${result.summary.longestMs} ms)\n`);
  expect(result.verdicts.filter((verdict) => !verdict.ok)).toEqual([]);
}

/** "n1 token×3, n2 refresh×1". */
function countBy<T>(items: readonly T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${name}×${n}`).join(', ');
}

/** The criteria every phase under load shares. */
function standard(samples: readonly Sample[], load: Load | undefined, { refusedIsLost = true } = {}): Verdict[] {
  return [
    served(samples),
    answeredOk(samples),
    nothingLost(samples, refusedIsLost),
    withinDeadline(samples, REQUEST_DEADLINE_MS),
    ...(load ? [flowsExplained(load.flows)] : []),
  ];
}

/** "token 4020 ms, …": the median duration of each kind of request sent in [from, to). */
function medians(samples: readonly Sample[], from: number, to: number): string {
  const durations = new Map<string, number[]>();
  for (const sample of samples) {
    if (sample.start < from || sample.start >= to || typeof sample.outcome !== 'number') continue;
    const key = sample.kind === 'probe' ? 'token' : sample.kind;
    durations.set(key, [...(durations.get(key) ?? []), sample.end - sample.start]);
  }
  return [...durations].map(([kind, values]) => `${kind} ${values.sort((a, b) => a - b)[Math.floor(values.length / 2)]} ms`).join(', ');
}

/** Waits for a successful probe at every target after `back`; the slowest one's delay. */
async function awaitRecovery(load: Load, back: number, targets: readonly Target[]): Promise<number | null> {
  const names = targets.map((target) => target.name);
  const deadline = back + RECOVERY_WAIT_MS;
  for (;;) {
    const ms = recoveryMs(load.samples, back, names);
    if (ms !== undefined) return ms;
    if (Date.now() > deadline) return null;
    await sleep(50);
  }
}

/** A note on the 503s a restarted node gave before its ready line (it listens before its stores are ready). */
function startingNote(samples: readonly Sample[], node: Node, restart: number, ready: number): string[] {
  const early = samples.filter((sample) => sample.node === node.name && sample.start >= restart && sample.end <= ready && sample.outcome === 503);
  return early.length === 0
    ? []
    : [`${node.name} answered ${early.length} requests 503 while starting, before its ready line (a load balancer that waits for /readyz sends it none)`];
}

/** Answers of requests sent once service was back: all 2xx/3xx (nothing left broken by the fault). */
function steadyAfter(samples: readonly Sample[], from: number): Verdict {
  const after = samples.filter((sample) => sample.start >= from);
  const bad = after.filter((sample) => typeof sample.outcome !== 'number' || sample.outcome >= 400);
  return check(
    bad.length === 0,
    'after recovery, every answer 2xx/3xx',
    bad.length === 0
      ? `${after.length} requests`
      : `${bad.length} of ${after.length}: ${[...new Set(bad.map((sample) => `${sample.outcome} ${sample.kind}`))].join(', ')}`,
  );
}

async function auditVerdict(): Promise<Verdict> {
  const audit = await stack.auditVerify();
  return check(audit.ok, 'gatehouse audit verify passes', audit.detail);
}

/** A dependency fault: load, the fault for `ms`, the dependency back, recovery timed. */
function dependencyPhase(
  name: string,
  proxy: () => FaultProxy,
  fault: { begin(proxy: FaultProxy): Promise<void> | void; end(proxy: FaultProxy): Promise<void> | void; ms: number; recovery: boolean },
) {
  return phase(name, async (ctx) => {
    const load = ctx.load(stack.nodes, true);
    await sleep(PLAN.leadMs);
    ctx.marks.fault = Date.now();
    await fault.begin(proxy());
    try {
      await sleep(fault.ms);
    } finally {
      await fault.end(proxy());
    }
    const back = Date.now();
    ctx.marks.back = back;
    const recovery = await awaitRecovery(load, back, stack.nodes);
    await sleep(PLAN.afterMs);
    const samples = await load.stop();
    ctx.verdicts.push(...standard(samples, load));
    if (!fault.recovery) ctx.notes.push(`longest ${summarize(samples).longestMs} ms; median while slowed: ${medians(samples, ctx.marks.fault, back)}`);
    if (fault.recovery) {
      ctx.recoveryMs = recovery;
      ctx.verdicts.push(recoveredWithin(recovery, RECOVERY_TARGET_MS));
      if (recovery !== null) ctx.verdicts.push(steadyAfter(samples, back + recovery + 500));
    }
  });
}

const kill = { begin: (proxy: FaultProxy) => proxy.kill(), end: (proxy: FaultProxy) => proxy.start(), ms: PLAN.killMs, recovery: true };
const freeze = { begin: (proxy: FaultProxy) => proxy.freeze(), end: (proxy: FaultProxy) => proxy.thaw(), ms: PLAN.freezeMs, recovery: true };
const slow = { begin: (proxy: FaultProxy) => proxy.slow(SLOW_CHUNK_MS), end: (proxy: FaultProxy) => proxy.slow(0), ms: PLAN.slowMs, recovery: false };
const seconds = (ms: number) => `${ms / 1000} s`;

// ---------------------------------------------------------------------------------------------
// The durable state: refresh tokens, revocations, users, clients and the audit chain, before the
// first phase and after the last.

interface Seeds {
  kept: TokenFamily[];
  revokedRefresh: string;
  revokedAccess: string;
  before: { users: number; clients: number; audit: string };
}
let seeds: Seeds | undefined;

function signIn(node: Node, user: ScaleUser): Promise<TokenFamily> {
  return signInAndRedeem(node.server, stack.web, user);
}

async function seed(): Promise<Seeds> {
  const keeper = stack.user('keeper');
  const [n1, n2] = stack.nodes as [Node, Node];
  const kept: TokenFamily[] = [];
  for (const node of [n1, n2, n1, n2]) kept.push(await signIn(node, keeper));
  const revokedRefresh = (await signIn(n1, keeper)).refresh_token;
  const revokedAccess = (await signIn(n2, keeper)).access_token;
  for (const [node, token, hint] of [
    [n2, revokedRefresh, 'refresh_token'],
    [n1, revokedAccess, 'access_token'],
  ] as const) {
    const answer = await post(node.server, '/revoke', { token, token_type_hint: hint }, stack.web);
    if (answer.status !== 200) throw new Error(`revoking a ${hint} answered ${answer.status}`);
  }
  const audit = await stack.auditVerify();
  return { kept, revokedRefresh, revokedAccess, before: { users: await stack.count('users'), clients: await stack.count('clients'), audit: audit.detail } };
}

async function introspected(node: Node, token: string): Promise<string> {
  const answer = await post(node.server, '/introspect', { token }, stack.web);
  return answer.status === 200 ? `active: ${String(answer.body.active)}` : `${answer.status}`;
}

async function compareDurableState(before: Seeds): Promise<DurableRow[]> {
  const n2 = stack.nodes[1]!;
  const rows: DurableRow[] = [];
  const refreshed = [];
  for (const family of before.kept) refreshed.push(await refresh(n2.server, stack.web, family.refresh_token));
  const ok = refreshed.filter((answer) => answer.status === 200).length;
  rows.push({
    check: 'refresh tokens issued before the run still refresh',
    before: `${before.kept.length} issued`,
    after: `${ok} of ${before.kept.length} answered 200${
      ok < refreshed.length
        ? ` (others: ${refreshed
            .filter((a) => a.status !== 200)
            .map((a) => `${a.status} ${String(a.body.error)}`)
            .join(', ')})`
        : ''
    }`,
    ok: ok === before.kept.length,
  });
  const access = await introspected(n2, before.kept[0]!.access_token);
  rows.push({ check: 'an access token issued before the run', before: 'active: true', after: access, ok: access === 'active: true' });
  const revoked = await refresh(n2.server, stack.web, before.revokedRefresh);
  rows.push({
    check: 'a refresh token revoked before the run',
    before: '400 invalid_grant',
    after: `${revoked.status} ${String(revoked.body.error)}`,
    ok: revoked.status === 400 && revoked.body.error === 'invalid_grant',
  });
  const revokedAccess = await introspected(n2, before.revokedAccess);
  rows.push({ check: 'an access token revoked before the run', before: 'active: false', after: revokedAccess, ok: revokedAccess === 'active: false' });
  for (const table of ['users', 'clients'] as const) {
    const count = await stack.count(table);
    rows.push({ check: `${table} (rows)`, before: String(before.before[table]), after: String(count), ok: count === before.before[table] });
  }
  const audit = await stack.auditVerify();
  rows.push({ check: 'gatehouse audit verify', before: `ok, ${before.before.audit}`, after: audit.ok ? `ok, ${audit.detail}` : audit.detail, ok: audit.ok });
  return rows;
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  idleOtherLoad = await idleMachineLoad(1);
  stack = await Stack.create();
  seeds = await seed();
}, 180_000);

afterAll(async () => {
  const report = renderReport(await describeRun(), phases, durable, memory);
  const out = resolve(process.env.CHAOS_OUT ?? join(REPO_ROOT, 'chaos', 'results', 'latest.md'));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, report);
  if (process.env.CHAOS_WRITE === '1') writeFileSync(join(REPO_ROOT, 'RELIABILITY.md'), report);
  process.stdout.write(`\n${report}\nchaos: written to ${out}${process.env.CHAOS_WRITE === '1' ? ' and RELIABILITY.md' : ''}\n`);
  await sentinel?.stop();
  await stack?.close();
  await killAll();
}, 120_000);

it('baseline', () =>
  phase(`baseline, ${seconds(PLAN.baselineMs)}`, async (ctx) => {
    const load = ctx.load(stack.nodes, true);
    await sleep(PLAN.baselineMs);
    ctx.verdicts.push(...standard(await load.stop(), load));
  }));

it('Redis killed', () => dependencyPhase(`Redis killed ${seconds(PLAN.killMs)}`, () => stack.redisProxy, kill));
it('Redis frozen', () => dependencyPhase(`Redis frozen ${seconds(PLAN.freezeMs)}`, () => stack.redisProxy, freeze));
it('Redis slowed', () => dependencyPhase(`Redis slowed ${SLOW_CHUNK_MS} ms a chunk, ${seconds(PLAN.slowMs)}`, () => stack.redisProxy, slow));
it('PostgreSQL killed', () => dependencyPhase(`PostgreSQL killed ${seconds(PLAN.killMs)}`, () => stack.pgProxy, kill));
it('PostgreSQL frozen', () => dependencyPhase(`PostgreSQL frozen ${seconds(PLAN.freezeMs)}`, () => stack.pgProxy, freeze));
it('PostgreSQL slowed', () => dependencyPhase(`PostgreSQL slowed ${SLOW_CHUNK_MS} ms a chunk, ${seconds(PLAN.slowMs)}`, () => stack.pgProxy, slow));

it('kill -9 of an instance', () =>
  phase('kill -9 of n1 under load (n2 serves; n1 restarted)', async (ctx) => {
    const [n1, n2] = stack.nodes as [Node, Node];
    const load = ctx.load(stack.nodes, true);
    await sleep(PLAN.leadMs);
    const killedAt = Date.now();
    await n1.server.stop('SIGKILL');
    await sleep(PLAN.killMs);
    const restartAt = Date.now();
    ctx.marks.restart = restartAt;
    const restartMs = await stack.restart(n1);
    const back = Date.now();
    Object.assign(ctx.marks, { killedAt, back });
    ctx.recoveryMs = await awaitRecovery(load, back, [n1]);
    if (ctx.recoveryMs !== null) ctx.recoveryMs += restartMs;
    await sleep(PLAN.afterMs);
    const samples = await load.stop();
    const atN1 = samples.filter((sample) => sample.node === n1.name);
    const duringOutage = atN1.filter((sample) => sample.end >= killedAt && sample.start < back);
    ctx.verdicts.push(
      ...standard(
        samples.filter((sample) => sample.node === n2.name),
        undefined,
      ).map((verdict) => ({ ...verdict, rule: `n2: ${verdict.rule}` })),
      ...[
        answeredOk(atN1),
        nothingLost(
          atN1.filter((sample) => !duringOutage.includes(sample)),
          true,
        ),
      ].map((verdict) => ({
        ...verdict,
        rule: `n1 before the kill and after the restart: ${verdict.rule}`,
      })),
      check(ctx.recoveryMs !== null, 'n1 serves again after its restart', ctx.recoveryMs === null ? 'no success' : `${ctx.recoveryMs} ms from the restart`),
      await auditVerdict(),
    );
    const lost = summarize(duringOutage).outcomes;
    ctx.notes.push(...startingNote(samples, n1, restartAt, back));
    ctx.notes.push(
      `at n1 while it was down (expected): ${['reset', 'refused', 'timeout'].map((kind) => `${lost.get(kind as 'reset') ?? 0} ${kind}`).join(', ')}; restarted and ready in ${restartMs} ms (recovery counts from the restart)`,
    );
  }));

it('SIGHUP of each instance', () =>
  phase('SIGHUP of n1, then of n2, under load', async (ctx) => {
    const load = ctx.load(stack.nodes, true);
    await sleep(PLAN.leadMs);
    for (const node of stack.nodes) {
      process.kill(node.server.pid, 'SIGHUP');
      await sleep(PLAN.signalMs / 2);
    }
    await sleep(PLAN.afterMs);
    const samples = await load.stop();
    const running = stack.nodes.filter((node) => Stack.alive(node)).map((node) => node.name);
    ctx.verdicts.push(
      ...standard(samples, load),
      check(running.length === stack.nodes.length, 'every instance still running', running.length === 0 ? 'none' : running.join(', ')),
      await auditVerdict(),
    );
  }));

it('SIGTERM of an instance', () =>
  phase('SIGTERM of n1 under load (n2 serves; n1 restarted)', async (ctx) => {
    const n1 = stack.nodes[0]!;
    const load = ctx.load(stack.nodes, true);
    await sleep(PLAN.leadMs);
    const signalled = Date.now();
    const code = await n1.server.stop('SIGTERM');
    const exitMs = Date.now() - signalled;
    await sleep(PLAN.signalMs / 2);
    const restartAt = Date.now();
    ctx.marks.restart = restartAt;
    const restartMs = await stack.restart(n1);
    const back = Date.now();
    Object.assign(ctx.marks, { signalled, exited: signalled + exitMs, back });
    ctx.recoveryMs = await awaitRecovery(load, back, [n1]);
    if (ctx.recoveryMs !== null) ctx.recoveryMs += restartMs;
    await sleep(PLAN.afterMs);
    const samples = await load.stop();
    // Connections refused once n1 stopped listening are not lost: a load balancer sends them to n2.
    ctx.verdicts.push(
      ...standard(samples, load, { refusedIsLost: false }),
      check(code === 0, 'n1 exits 0', `exit ${code} after ${exitMs} ms`),
      await auditVerdict(),
    );
    ctx.notes.push(...startingNote(samples, n1, restartAt, back));
    ctx.notes.push(
      `n1 exited ${exitMs} ms after SIGTERM; ${summarize(samples).outcomes.get('refused') ?? 0} connections refused meanwhile (not lost: n2 serves)`,
    );
  }));

let workers: Node | undefined;

it('--workers 2: SIGHUP', () =>
  phase('--workers 2: SIGHUP under load', async (ctx) => {
    workers = await stack.startNode('w', stack.user('w'), ['--workers', '2']);
    stack.extra.push(workers);
    const primary = workers.server.pid;
    const before = withDescendants([primary]).filter((pid) => pid !== primary);
    const load = ctx.load([workers], true);
    await sleep(PLAN.leadMs);
    process.kill(primary, 'SIGHUP');
    await sleep(PLAN.signalMs);
    const samples = await load.stop();
    const after = withDescendants([primary]).filter((pid) => pid !== primary);
    ctx.verdicts.push(
      ...standard(samples, load),
      check(Stack.alive(workers), 'the primary still running', Stack.alive(workers) ? 'yes' : 'exited'),
      check(after.length >= 2, 'two workers after it', `${after.length} (before: ${before.length})`),
      await auditVerdict(),
    );
    const replaced = before.filter((pid) => !after.includes(pid)).length;
    ctx.notes.push(`${replaced} of ${before.length} workers replaced by the reload`);
  }));

it('--workers 2: SIGTERM', () =>
  phase('--workers 2: SIGTERM under load', async (ctx) => {
    if (!workers || !Stack.alive(workers)) {
      workers = await stack.startNode('w', stack.user('w'), ['--workers', '2']);
      stack.extra.push(workers);
      ctx.notes.push('started again: the SIGHUP phase left no running primary');
    }
    const primary = workers.server.pid;
    const before = withDescendants([primary]).filter((pid) => pid !== primary);
    const load = ctx.load([workers], true);
    await sleep(PLAN.leadMs);
    const signalled = Date.now();
    const code = await workers.server.stop('SIGTERM');
    const exitMs = Date.now() - signalled;
    await sleep(PLAN.afterMs);
    const samples = await load.stop();
    const left = before.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    ctx.verdicts.push(
      ...standard(samples, load, { refusedIsLost: false }),
      check(code === 0, 'the primary exits 0', `exit ${code} after ${exitMs} ms`),
      check(left.length === 0, 'no worker left behind', left.length === 0 ? 'none' : left.join(', ')),
      await auditVerdict(),
    );
  }));

let sentinel: SentinelSet | undefined;
let sentinelNode: Node | undefined;

/** A Redis primary replaced under load (`change` resolves once the new one takes writes): recovery counted from then. */
async function failoverPhase(ctx: PhaseContext, change: (set: SentinelSet) => Promise<{ from: number; to: number; ms: number }>, what: string): Promise<void> {
  if (!sentinel) {
    sentinel = await startSentinelSet();
    sentinelNode = await stack.startNode('s', stack.user('sentinel'), [], { GATEHOUSE_REDIS_URL: sentinel.url });
    stack.extra.push(sentinelNode);
  }
  const node = sentinelNode!;
  const load = ctx.load([node], true);
  await sleep(PLAN.leadMs);
  const { from, to, ms } = await change(sentinel);
  const back = Date.now();
  ctx.recoveryMs = await awaitRecovery(load, back, [node]);
  await sleep(PLAN.afterMs);
  const samples = await load.stop();
  ctx.verdicts.push(...standard(samples, load), recoveredWithin(ctx.recoveryMs, RECOVERY_TARGET_MS));
  if (ctx.recoveryMs !== null) ctx.verdicts.push(steadyAfter(samples, back + ctx.recoveryMs + 500));
  ctx.notes.push(`${what}: the primary moved from :${from} to :${to}, taking writes ${ms} ms after (recovery counts from then)`);
}

it('Redis Sentinel failover', () =>
  phase('Redis Sentinel: SENTINEL FAILOVER under load', (ctx) => failoverPhase(ctx, (set) => set.failover(), 'a planned failover')));

it('Redis Sentinel, primary killed', () =>
  phase('Redis Sentinel: the primary killed (-9) under load', async (ctx) => {
    try {
      await failoverPhase(ctx, (set) => set.killPrimary(), 'the primary killed, the replica elected (down-after-milliseconds 1 s)');
    } finally {
      await sentinelNode?.server.stop();
      await sentinel?.stop();
      sentinel = undefined;
    }
  }));

it('Redis Cluster', () =>
  phase('Redis Cluster: load, and a node that holds none of the run’s keys killed and restarted', async (ctx) => {
    const cluster = await startRedisCluster();
    try {
      const node = await stack.startNode('c', stack.user('cluster'), [], { GATEHOUSE_REDIS_URL: cluster.url });
      stack.extra.push(node);
      const load = ctx.load([node], true);
      await sleep(PLAN.leadMs);
      const other = await nodeWithoutSlot(cluster.nodes, stack.env.GATEHOUSE_REDIS_PREFIX!);
      await other.stop();
      await sleep(PLAN.killMs);
      const restarted = Date.now();
      await other.start();
      // The cluster is back when every node says so again (the restarted one rejoins with its
      // nodes.conf, and the others clear its failure): recovery counts from then.
      const ok = await clusterOk(cluster.nodes, RECOVERY_WAIT_MS);
      const back = Date.now();
      ctx.recoveryMs = await awaitRecovery(load, back, [node]);
      await sleep(PLAN.afterMs);
      const samples = await load.stop();
      ctx.verdicts.push(
        ...standard(samples, load),
        check(ok, 'the cluster ok again after the restart', ok ? `after ${back - restarted} ms` : 'not within the wait'),
      );
      ctx.verdicts.push(recoveredWithin(ctx.recoveryMs, RECOVERY_TARGET_MS));
      if (ctx.recoveryMs !== null) ctx.verdicts.push(steadyAfter(samples, back + ctx.recoveryMs + 500));
      ctx.notes.push(
        `node :${other.port} down ${seconds(PLAN.killMs)} (longer than its cluster-node-timeout, 2 s, after which the others may mark it failed and the cluster refuse commands); cluster_state:ok on every node ${back - restarted} ms after its restart (recovery counts from then)`,
      );
      await node.server.stop();
    } finally {
      await cluster.stop();
    }
  }));

it('soak', () =>
  phase(`soak ${seconds(PLAN.soakMs)}, memory sampled every ${seconds(PLAN.soakEveryMs)}`, async (ctx) => {
    const load = ctx.load(stack.nodes);
    const started = Date.now();
    for (;;) {
      const at = Math.round((Date.now() - started) / 1000);
      for (const node of stack.nodes) memory.push({ atS: at, node: node.name, ...(await memoryOf(node)) });
      if (Date.now() - started >= PLAN.soakMs) break;
      await sleep(Math.min(PLAN.soakEveryMs, PLAN.soakMs - (Date.now() - started)));
    }
    ctx.verdicts.push(...standard(await load.stop(), load));
    for (const node of stack.nodes) {
      const own = memory.filter((sample) => sample.node === node.name);
      const span = (pick: (sample: MemorySample) => number | undefined) => {
        const values = own.map(pick).filter((value): value is number => value !== undefined);
        return values.length === 0 ? '–' : `${values[0]!.toFixed(0)} → ${values.at(-1)!.toFixed(0)} MiB (max ${Math.max(...values).toFixed(0)})`;
      };
      ctx.notes.push(`${node.name}: RSS ${span((sample) => sample.rssMiB)}, heap used ${span((sample) => sample.heapMiB)}`);
    }
  }));

it('durable state unchanged', async () => {
  if (!seeds) throw new Error('no durable state recorded before the run');
  await stack.ensureUp();
  durable.push(...(await compareDurableState(seeds)));
  expect(durable.filter((row) => !row.ok)).toEqual([]);
});

// ---------------------------------------------------------------------------------------------

/** RSS and heap used of an instance, from its /metrics (loopback is an operator). */
async function memoryOf(node: Node): Promise<{ rssMiB: number | undefined; heapMiB: number | undefined }> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${node.server.port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const gauge = (name: string) => {
      const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
      return match ? Number(match[1]) / 2 ** 20 : undefined;
    };
    return { rssMiB: gauge('gatehouse_process_resident_memory_bytes'), heapMiB: gauge('gatehouse_nodejs_heap_size_used_bytes') };
  } catch {
    return { rssMiB: undefined, heapMiB: undefined };
  }
}

/** A primary of the cluster that holds no slot of keys under `prefix` (a hash tag: one slot). */
async function nodeWithoutSlot(nodes: readonly RedisNode[], prefix: string): Promise<RedisNode> {
  const client = nodes[0]!.client();
  try {
    await client.connect();
    const slot = Number(await client.call('CLUSTER', 'KEYSLOT', `${prefix}x`));
    const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const owner = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
    const other = nodes.find((node) => node.port !== owner);
    if (!other) throw new Error(`no node without slot ${slot}`);
    return other;
  } finally {
    client.disconnect();
  }
}

/** Waits until every node of a cluster reports `cluster_state:ok`; false if not within `timeoutMs`. */
async function clusterOk(nodes: readonly RedisNode[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const ok = async (node: RedisNode) => {
    const client = node.client();
    try {
      await client.connect();
      return (await client.cluster('INFO')).includes('cluster_state:ok');
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  };
  while (Date.now() < deadline) {
    if ((await Promise.all(nodes.map(ok))).every(Boolean)) return true;
    await sleep(50);
  }
  return false;
}

async function describeRun() {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  };
  const commit = git('rev-parse', '--short', 'HEAD') ?? 'unknown';
  const dirty = (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '';
  let postgres = 'unknown';
  try {
    postgres = (await adminQuery<{ server_version: string }>('show server_version'))[0]?.server_version ?? postgres;
  } catch {
    // reported as unknown
  }
  let redis = 'unknown';
  try {
    redis = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? redis;
  } catch {
    // reported as unknown
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit: `${commit}${dirty ? ' with uncommitted changes' : ''}`,
    machine: `${cpuModel()} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}`,
    versions: `Node.js ${process.version}, PostgreSQL ${postgres}, Redis ${redis}`,
    mode: QUICK
      ? `quick (CHAOS_QUICK=1): kills ${seconds(PLAN.killMs)}, freezes ${seconds(PLAN.freezeMs)}, slows ${seconds(PLAN.slowMs)}, soak ${seconds(PLAN.soakMs)}`
      : `full: kills ${seconds(PLAN.killMs)}, freezes ${seconds(PLAN.freezeMs)}, slows ${seconds(PLAN.slowMs)}, soak ${seconds(PLAN.soakMs)}`,
    idleOtherLoadPercent: idleOtherLoad,
    criteria: [
      `Request deadline ${REQUEST_DEADLINE_MS} ms: no request longer while PostgreSQL or Redis is killed, frozen or slowed. That is \`GATEHOUSE_REQUEST_DEADLINE\` (${REQUEST_DEADLINE_MS - QUEUEING_MS} ms by default), after which Gatehouse answers 503 whatever the request waits on, plus ${QUEUEING_MS} ms for queueing before Gatehouse sees the request. A request is cut off at ${REQUEST_TIMEOUT_MS} ms and counted as a timeout.`,
      'Answers: 2xx or 3xx, or 503 while a dependency is away; never another status, a reset or a timeout.',
      `Recovery: a probe (client credentials, every ${LOAD.probeEveryMs} ms at each instance) succeeds within ${RECOVERY_TARGET_MS} ms of the dependency coming back, without a restart; after that, every answer is 2xx/3xx.`,
      'Signals: after SIGHUP every process keeps running and no request is refused, reset or timed out; after SIGTERM none is reset or timed out (connections refused once the listener closed are not lost: a load balancer retries them elsewhere) and the process exits 0. `gatehouse audit verify` passes after each.',
      `Load, per instance: ${LOAD.tokenLoops} client-credentials loops, 1 introspection loop, 1 sign-in loop (a fresh browser: password, remembered consent, the code, two refreshes), each pausing ${LOAD.pauseMs} ms between requests.`,
    ],
  };
}
