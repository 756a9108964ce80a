/**
 * `npm run bench` — Gatehouse against oidc-provider, same run, same machine, loopback only.
 *
 *   npm run bench                  full mode: 3 rounds × (1 s warm-up + 4 s measured), ~10 minutes
 *   npm run bench -- --quick       quick mode: 1 round × (1 s + 2 s), about 2 minutes
 *
 * Options: --cases id,id  --processes name,name  --rounds N  --warmup S  --duration S
 * --connections N  --profile DIR (every process under `node --cpu-prof`)  --out DIR  --no-write
 * --wait-quiet S (wait up to S seconds for other load on the machine to settle before starting)
 * --check (compare the ratios with bench/thresholds.json, exit non-zero if one is below; see
 * check.mjs)  --thresholds FILE
 *
 * Every server and in-process case runs in its own child process (per-process CPU and peak RSS
 * from /proc); this process is the load generator. For each case the processes take turns
 * (Gatehouse memory, peer, Gatehouse SQLite, Gatehouse PostgreSQL + Redis; the reverse order in
 * the next round), each with its own warm-up, so slow drift of the machine does not favour one
 * side. In full mode, before the first case, every server runs every case for a second (JIT
 * warm-up). Gatehouse on PostgreSQL + Redis is skipped, with a line saying why, when either
 * service is unreachable.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES } from './lib/cases.mjs';
import { DIST, ROOT } from './lib/dist.mjs';
import { runFlows } from './lib/load.mjs';
import { cpuModel, cpuSeconds, idleMachineLoad, machineBusySeconds, peakRssMiB, resetPeak } from './lib/proc.mjs';
import { checkRows, formatCheck, QUIET_PERCENT, readThresholds, THRESHOLDS_FILE } from './lib/check.mjs';
import { callsPerOperation, settledStoreCalls } from './lib/metrics.mjs';
import { aggregate, buildRows, summaryTable, writeResults } from './lib/report.mjs';
import { prepareServer, PROCESSES, SkippedProcess, startProcess } from './lib/targets.mjs';

// Whole seconds: autocannon ends a run on its one-second tick. Quick mode skips the pre-warm.
const MODES = {
  quick: { rounds: 1, prewarm: 0, warmup: 1, duration: 2 },
  full: { rounds: 3, prewarm: 1, warmup: 1, duration: 4 },
};
/** The authorization servers, in their turn order (reversed every other round). */
const SERVER_ORDER = ['gatehouse-memory', 'peer', 'gatehouse-sqlite', 'gatehouse-pg-redis'];
const SERVERS = new Set(SERVER_ORDER);

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cases: { type: 'string' },
    processes: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '16' },
    profile: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results') },
    'no-write': { type: 'boolean', default: false },
    'wait-quiet': { type: 'string' },
    check: { type: 'boolean', default: false },
    thresholds: { type: 'string', default: THRESHOLDS_FILE },
  },
});
// Read before anything runs: a malformed thresholds file fails now, not after the run.
const thresholds = values.check ? readThresholds(values.thresholds) : undefined;
const mode = values.quick ? 'quick' : 'full';
const settings = {
  rounds: Number(values.rounds ?? MODES[mode].rounds),
  prewarm: MODES[mode].prewarm,
  warmup: Number(values.warmup ?? MODES[mode].warmup),
  duration: Number(values.duration ?? MODES[mode].duration),
  connections: Number(values.connections),
};
const onlyCases = values.cases?.split(',');
const onlyProcesses = values.processes?.split(',');
const cases = CASES.filter((caseDef) => !onlyCases || onlyCases.includes(caseDef.id)).map((caseDef) => ({
  ...caseDef,
  processes: caseDef.processes.filter((name) => !onlyProcesses || onlyProcesses.includes(name)),
}));
if (cases.length === 0) throw new Error(`no case matches --cases ${values.cases}`);

// Bounded whatever happens: a hung server must not keep the run (or its children) alive.
const perCase = Math.max(...cases.map((caseDef) => caseDef.processes.length));
const budgetSeconds =
  180 + Number(values['wait-quiet'] ?? 0) + cases.length * perCase * (settings.prewarm + settings.rounds * (settings.warmup + settings.duration + 5));
const running = new Set();
const stopAll = () => Promise.all([...running].map((proc) => proc.stop()));
// Children are asked to stop (a server on PostgreSQL + Redis then drops its schema and keys), and
// killed if they take more than a few seconds.
const stopAllThenExit = (code) => {
  const deadline = setTimeout(() => {
    for (const proc of running) proc.child.kill('SIGKILL');
    process.exit(code);
  }, 15_000);
  stopAll().finally(() => {
    clearTimeout(deadline);
    process.exit(code);
  });
};
const watchdog = setTimeout(() => {
  process.stderr.write(`bench: over its ${budgetSeconds} s budget, stopping\n`);
  stopAllThenExit(2);
}, budgetSeconds * 1000);
watchdog.unref();
process.once('SIGINT', () => stopAllThenExit(130));

async function start(name, options) {
  const proc = await startProcess(name, { profileDir: values.profile, ...options });
  running.add(proc);
  return proc;
}

async function stop(proc) {
  await proc.stop();
  running.delete(proc);
}

/** CPU seconds of each pid that is still there (a PostgreSQL backend may have gone). */
function cpuOf(pids) {
  const seconds = new Map();
  for (const pid of pids) {
    try {
      seconds.set(pid, cpuSeconds(pid));
    } catch {
      // gone
    }
  }
  return seconds;
}

/**
 * Warm-up, then the measured run, with the process's CPU time and peak RSS around it; for a
 * Gatehouse server also its store calls (from its /metrics) and, on PostgreSQL + Redis, the SQL
 * statements and Redis commands it sent and the CPU those services spent meanwhile.
 */
async function measure(proc, load, { requestsPerOperation = 1 } = {}) {
  if (quietAllowance > 0) await waitQuiet();
  const spec = PROCESSES[proc.name];
  const scraped = spec.gatehouse && !spec.inProcess;
  resetPeak(proc.pid);
  await load(settings.warmup);
  // Read outside the measured window (the scrape and the probe cost the server a little CPU), once
  // the warm-up's last requests are finished.
  const storeBefore = scraped ? await settledStoreCalls(proc.port) : undefined;
  const probeBefore = spec.services ? await proc.probe() : undefined;
  const servicesBefore = cpuOf(probeBefore?.servicePids ?? []);
  const cpuBefore = cpuSeconds(proc.pid);
  const machineBefore = machineBusySeconds();
  const generatorBefore = process.cpuUsage();
  const started = performance.now();
  const result = await load(settings.duration);
  const wall = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(proc.pid) - cpuBefore;
  const generatorUsage = process.cpuUsage(generatorBefore);
  const generator = (generatorUsage.user + generatorUsage.system) / 1e6;
  const machine = machineBusySeconds() - machineBefore;
  // PostgreSQL and Redis working for this server (backends present before the window; one that
  // opens during it is not seen, and is counted as other load).
  let services = 0;
  for (const [pid, seconds] of cpuOf(servicesBefore.keys())) services += seconds - servicesBefore.get(pid);
  // Whatever else kept the cores busy meanwhile (other programs, the hypervisor's steal).
  const foreign = Math.max(0, machine - cpu - generator - services);
  // Requests still in flight when the window closed finish now; their store calls are counted, and
  // so are they (from the server's request counter).
  const storeAfter = scraped ? await settledStoreCalls(proc.port) : undefined;
  const probeAfter = spec.services ? await proc.probe() : undefined;
  const perOp = (count) => (result.completed > 0 ? count / result.completed : Number.NaN);
  const calls = callsPerOperation(storeBefore, storeAfter, { completed: result.completed, requestsPerOperation });
  // Statements and commands per operation: over the same operations as the store calls.
  const operations = calls?.operations ?? result.completed;
  const perServedOp = (count) => (operations > 0 ? count / operations : Number.NaN);
  return {
    ...result,
    cpuPercent: (100 * cpu) / wall,
    cpuMsPerOp: perOp(1000 * cpu),
    peakRssMiB: peakRssMiB(proc.pid),
    generatorCpuPercent: (100 * generator) / wall,
    foreignCpuPercent: (100 * foreign) / wall,
    ...(calls ? { storeCallsPerOp: calls.total, storeCallsByOperation: calls.byOperation, storeCallsSource: calls.source } : {}),
    ...(probeBefore && probeAfter && !probeBefore.error && !probeAfter.error
      ? {
          sqlStatementsPerOp: perServedOp(probeAfter.sqlStatements - probeBefore.sqlStatements),
          redisCommandsPerOp: perServedOp(probeAfter.redisCommands - probeBefore.redisCommands),
          serviceCpuPercent: (100 * services) / wall,
          serviceCpuMsPerOp: perOp(1000 * services),
        }
      : {}),
  };
}

/** Store calls per operation and, on PostgreSQL + Redis, what reached the services. */
function storeText(result) {
  const parts = [];
  if (Number.isFinite(result.storeCallsPerOp)) parts.push(`store ${result.storeCallsPerOp.toFixed(1)}/op`);
  if (Number.isFinite(result.sqlStatementsPerOp)) parts.push(`SQL ${result.sqlStatementsPerOp.toFixed(1)}/op`);
  if (Number.isFinite(result.redisCommandsPerOp)) parts.push(`Redis ${result.redisCommandsPerOp.toFixed(1)}/op`);
  if (Number.isFinite(result.serviceCpuPercent)) parts.push(`PostgreSQL + Redis CPU ${result.serviceCpuPercent.toFixed(0)} %`);
  return parts.length > 0 ? `  ${parts.join('  ')}` : '';
}

function progress(caseDef, name, result) {
  const rate = result.rate >= 100 ? Math.round(result.rate).toLocaleString('en-US') : result.rate.toFixed(1);
  const failed = result.failed + (result.errors ?? 0) + (result.timeouts ?? 0);
  process.stdout.write(
    `${String(Math.round(process.uptime())).padStart(4)} s ${caseDef.id.padEnd(20)} ${name.padEnd(19)} ${rate.padStart(8)} ${(PROCESSES[name].unit ?? caseDef.unit).padEnd(11)} p50 ${result.p50.toFixed(2).padStart(7)} ms  p99 ${result.p99.toFixed(2).padStart(7)} ms  CPU ${result.cpuPercent.toFixed(0).padStart(3)} %  RSS ${Math.round(
      result.peakRssMiB ?? 0,
    )
      .toString()
      .padStart(3)} MiB  other ${result.foreignCpuPercent.toFixed(0).padStart(3)} %${storeText(result)}${failed ? `  FAILED ${failed}` : ''}\n`,
  );
  for (const [reason, count] of Object.entries(result.failures ?? {})) process.stdout.write(`      ${count} × ${reason}\n`);
}

function describeRun() {
  const version = (name) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  let commit;
  if (process.env.GATEHOUSE_DIST) {
    commit = process.env.GATEHOUSE_COMMIT ?? `unknown (build at ${DIST})`;
  } else {
    const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    const sha = git('rev-parse', '--short', 'HEAD');
    commit = git('status', '--porcelain', '--', 'src') === '' ? sha : `${sha} + uncommitted changes in src/`;
  }
  return {
    date: new Date().toISOString(),
    mode,
    ...settings,
    node: process.version,
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    loadAverageAtStart: os.loadavg().map((value) => Number(value.toFixed(2))),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    commit,
    peerVersion: version('oidc-provider'),
    autocannonVersion: version('autocannon'),
  };
}

const run = describeRun();
process.stdout.write(`Gatehouse benchmark, ${mode} mode: Node ${run.node}, ${run.cpu} × ${run.cores}, commit ${run.commit}\n`);
// --wait-quiet S: on a shared machine, spend up to S seconds in all waiting, before the run and
// before each measurement, for other load to settle below QUIET_PERCENT of a core (a run is
// evidence only below it; see lib/check.mjs).
let quietAllowance = Number(values['wait-quiet'] ?? 0) * 1000;
async function waitQuiet() {
  let load = await idleMachineLoad(0.5);
  while (load > QUIET_PERCENT && quietAllowance > 0) {
    const started = Date.now();
    load = await idleMachineLoad(1);
    quietAllowance -= Date.now() - started;
  }
  return Math.round(load);
}
run.otherLoadBeforeStart = await waitQuiet();
if (run.otherLoadBeforeStart > QUIET_PERCENT) {
  process.stdout.write(
    `  warning: other programs keep ${run.otherLoadBeforeStart} % of a core busy (a quiet machine: under ${QUIET_PERCENT} %): rates will be noisy (see "other" per line)\n`,
  );
}
run.skipped = [];

const samples = {};
try {
  // The authorization servers live through the whole run; each is prepared through its own endpoints.
  const serverNames = new Set(cases.flatMap((caseDef) => caseDef.processes.filter((name) => SERVERS.has(name))));
  const guardCase = cases.find((caseDef) => caseDef.id === 'guard' && caseDef.processes.length > 0);
  if (guardCase) serverNames.add('gatehouse-memory');
  const refreshCase = cases.find((caseDef) => caseDef.needsChains);
  // Every run (pre-warm, warm-ups, measurements) leaves at most one chain per connection in an
  // unknown state: its last request was in flight when the run stopped.
  const chains = refreshCase ? settings.connections * (2 * settings.rounds + 2) : 0;
  const servers = {};
  const material = {};
  for (const name of SERVER_ORDER.filter((server) => serverNames.has(server))) {
    try {
      servers[name] = await start(name);
    } catch (error) {
      if (!(error instanceof SkippedProcess)) throw error;
      // A service it needs is not there: the run goes on without it, and says so.
      process.stdout.write(`${String(Math.round(process.uptime())).padStart(4)} s skipped ${name}: ${error.reason}\n`);
      run.skipped.push({ process: name, reason: error.reason });
      for (const caseDef of cases) caseDef.processes = caseDef.processes.filter((candidate) => candidate !== name);
      continue;
    }
    material[name] = await prepareServer(servers[name], { chains, guardTokens: guardCase && name === 'gatehouse-memory' ? 200 : 0 });
  }
  process.stdout.write(
    `${String(Math.round(process.uptime())).padStart(4)} s servers ready: ${Object.keys(servers).join(', ') || 'none'}${chains ? ` (${chains} refresh-token chains each)` : ''}\n`,
  );

  // Each server runs every HTTP case it will see once before anything is measured, so the JIT has
  // seen all code paths and the first case measured does not pay for it.
  const steps = {};
  const stepsFor = (caseDef, name) => ((steps[caseDef.id] ??= {})[name] ??= caseDef.steps(material[name] ?? {}));
  for (const caseDef of settings.prewarm > 0 ? cases : []) {
    for (const name of caseDef.processes.filter((candidate) => servers[candidate])) {
      await runFlows({
        port: servers[name].port,
        connections: caseDef.connections ?? settings.connections,
        duration: settings.prewarm,
        steps: stepsFor(caseDef, name),
      });
    }
  }

  for (const caseDef of cases) {
    if (caseDef.processes.length === 0) continue;
    samples[caseDef.id] = {};
    const connections = caseDef.connections ?? settings.connections;
    // Floors and in-process cases get fresh processes, stopped after the case.
    const own = {};
    for (const name of caseDef.processes.filter((candidate) => !SERVERS.has(candidate))) {
      const gatehouse = material['gatehouse-memory'];
      const setup =
        caseDef.id === 'guard'
          ? { tokens: gatehouse.guardTokens, metadata: gatehouse.metadata, jwks: gatehouse.jwks, audience: 'https://api.bench.example' }
          : undefined;
      own[name] = await start(name, { setup });
    }
    for (let round = 0; round < settings.rounds; round += 1) {
      const order = round % 2 === 0 ? caseDef.processes : [...caseDef.processes].reverse();
      for (const name of order) {
        const proc = servers[name] ?? own[name];
        let load;
        if (PROCESSES[name].inProcess) {
          load = (seconds) => proc.run(seconds, caseDef.concurrency);
        } else {
          load = (seconds) => runFlows({ port: proc.port, connections, duration: seconds, steps: stepsFor(caseDef, name) });
        }
        const result = await measure(proc, load, { requestsPerOperation: PROCESSES[name].inProcess ? 1 : stepsFor(caseDef, name).length });
        (samples[caseDef.id][name] ??= []).push(result);
        progress(caseDef, name, result);
      }
    }
    for (const proc of Object.values(own)) await stop(proc);
  }
} finally {
  await stopAll();
}

const summary = Object.fromEntries(
  Object.entries(samples).map(([caseId, byProcess]) => [
    caseId,
    Object.fromEntries(Object.entries(byProcess).map(([name, rounds]) => [name, aggregate(rounds)])),
  ]),
);
// The run is evidence only on a quiet machine: the most other programs used during any measurement.
const otherLoads = Object.values(samples).flatMap((byProcess) =>
  Object.values(byProcess)
    .flat()
    .map((result) => result.foreignCpuPercent),
);
run.maxOtherLoadPercent = otherLoads.length > 0 ? Math.round(Math.max(...otherLoads)) : null;
const storeSources = new Set(Object.values(summary).flatMap((byProcess) => Object.values(byProcess).map((measurement) => measurement.storeCallsSource)));
storeSources.delete(undefined);
if (storeSources.size > 0) run.storeCallsSource = [...storeSources].join('; ');
const rows = buildRows(summary, run);
process.stdout.write(`\n${summaryTable(rows)}\n`);
process.stdout.write(
  `\nOther load: at most ${run.maxOtherLoadPercent ?? '—'} % of a core during any measurement${run.maxOtherLoadPercent > QUIET_PERCENT ? ` (over ${QUIET_PERCENT} %: not a quiet machine)` : ''}.\n`,
);
if (!values['no-write']) {
  writeResults(values.out, rows, summary, run);
  process.stdout.write(`\nwritten: ${join(values.out, 'latest.md')}, ${join(values.out, 'latest.json')}\n`);
}
clearTimeout(watchdog);
if (thresholds) {
  const outcome = checkRows(rows, thresholds, run);
  process.stdout.write(`\n${formatCheck(outcome, values.thresholds)}\n`);
  process.exitCode = outcome.exitCode;
}
