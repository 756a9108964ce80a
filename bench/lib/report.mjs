/**
 * Turns per-process measurements into the result rows (`[{ case, gatehouse, peer, ratio, unit }]`
 * plus details) and writes them as a terminal table, `latest.md` and `latest.json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASES } from './cases.mjs';
import { QUIET_PERCENT } from './check.mjs';
import { PROCESSES } from './targets.mjs';

/** The Gatehouse servers a case's rows compare with the peer: `<case> (<store>)`. */
const STORES = ['memory', 'sqlite', 'pg-redis'];

/** Median of numbers (NaN-free); the mean of the middle two for an even count. */
function median(values) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Per-key medians of `{ key: number }` objects (a key missing from a round counts as 0 there). */
function medianByKey(objects) {
  const present = objects.filter(Boolean);
  if (present.length === 0) return undefined;
  const keys = [...new Set(present.flatMap((object) => Object.keys(object)))].sort();
  return Object.fromEntries(keys.map((key) => [key, median(present.map((object) => object[key] ?? 0))]));
}

/** One process's rounds of one case folded into one measurement (medians; the highest peak RSS). */
export function aggregate(rounds) {
  const optional = (name) => median(rounds.map((round) => round[name] ?? Number.NaN));
  return {
    rate: median(rounds.map((round) => round.rate)),
    p50: median(rounds.map((round) => round.p50)),
    p99: median(rounds.map((round) => round.p99)),
    cpuPercent: median(rounds.map((round) => round.cpuPercent)),
    cpuMsPerOp: median(rounds.map((round) => round.cpuMsPerOp)),
    peakRssMiB: Math.max(...rounds.map((round) => round.peakRssMiB ?? Number.NaN).filter(Number.isFinite)),
    generatorCpuPercent: median(rounds.map((round) => round.generatorCpuPercent ?? Number.NaN)),
    foreignCpuPercent: Math.max(...rounds.map((round) => round.foreignCpuPercent ?? 0)),
    completed: rounds.reduce((sum, round) => sum + round.completed, 0),
    failed: rounds.reduce((sum, round) => sum + round.failed, 0),
    errors: rounds.reduce((sum, round) => sum + (round.errors ?? 0) + (round.timeouts ?? 0), 0),
    failures: Object.assign({}, ...rounds.map((round) => round.failures ?? {})),
    rounds: rounds.map((round) => round.rate),
    storeCallsPerOp: optional('storeCallsPerOp'),
    storeCallsByOperation: medianByKey(rounds.map((round) => round.storeCallsByOperation)),
    storeCallsSource: rounds.find((round) => round.storeCallsSource)?.storeCallsSource,
    sqlStatementsPerOp: optional('sqlStatementsPerOp'),
    redisCommandsPerOp: optional('redisCommandsPerOp'),
    serviceCpuPercent: optional('serviceCpuPercent'),
    serviceCpuMsPerOp: optional('serviceCpuMsPerOp'),
  };
}

const round = (value, digits) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

function detail(measurement) {
  if (!measurement) return null;
  return {
    rate: round(measurement.rate, 1),
    p50Ms: round(measurement.p50, 2),
    p99Ms: round(measurement.p99, 2),
    cpuPercent: round(measurement.cpuPercent, 0),
    cpuMsPerOp: round(measurement.cpuMsPerOp, 3),
    peakRssMiB: round(measurement.peakRssMiB, 0),
    otherLoadCpuPercent: round(measurement.foreignCpuPercent, 0),
    completed: measurement.completed,
    failed: measurement.failed + measurement.errors,
    roundRates: measurement.rounds.map((value) => round(value, 1)),
    // Gatehouse servers: store calls per operation (request, flow or sign-in), from its /metrics.
    storeCallsPerOp: round(measurement.storeCallsPerOp, 2),
    ...(measurement.storeCallsByOperation
      ? { storeCallsByOperation: Object.fromEntries(Object.entries(measurement.storeCallsByOperation).map(([name, value]) => [name, round(value, 2)])) }
      : {}),
    // PostgreSQL + Redis: what reached the services, and the CPU they spent (not in cpuPercent).
    ...(Number.isFinite(measurement.sqlStatementsPerOp)
      ? {
          sqlStatementsPerOp: round(measurement.sqlStatementsPerOp, 2),
          redisCommandsPerOp: round(measurement.redisCommandsPerOp, 2),
          serviceCpuPercent: round(measurement.serviceCpuPercent, 0),
          serviceCpuMsPerOp: round(measurement.serviceCpuMsPerOp, 3),
        }
      : {}),
  };
}

/**
 * The result rows. `gatehouse` and `peer` are the case's rate; `ratio` is gatehouse / peer (above
 * 1: Gatehouse is faster); `against` says what the peer column is when it is not oidc-provider.
 * `caseId` and `process` name the case and the Gatehouse process measured (what bench/thresholds.json
 * refers to); `p99Ratio` and `rssRatio` are peer / Gatehouse (above 1: Gatehouse's is lower).
 */
export function buildRows(summary, run) {
  const rows = [];
  const row = (caseDef, name, gatehouse, peer, { store, process: processName } = {}) => {
    const ratio = gatehouse && peer ? gatehouse.rate / peer.rate : Number.NaN;
    // CPU time per operation, peer / Gatehouse: above 1 Gatehouse needs less CPU for the same work.
    // Less sensitive than the rate to other load on the machine. On PostgreSQL + Redis, Gatehouse's
    // includes what those services spent: the peer's storage is in its own process.
    const gatehouseCpu = gatehouse ? gatehouse.cpuMsPerOp + (Number.isFinite(gatehouse.serviceCpuMsPerOp) ? gatehouse.serviceCpuMsPerOp : 0) : Number.NaN;
    const cpuRatio = gatehouse && peer ? peer.cpuMsPerOp / gatehouseCpu : Number.NaN;
    rows.push({
      case: name,
      caseId: caseDef.id,
      ...(processName ? { process: processName } : {}),
      gatehouse: round(gatehouse?.rate, 1),
      peer: round(peer?.rate, 1),
      ratio: round(ratio, 2),
      unit: caseDef.unit,
      cpuRatio: round(cpuRatio, 2),
      p99Ratio: round(gatehouse && peer ? peer.p99 / gatehouse.p99 : Number.NaN, 2),
      rssRatio: round(gatehouse && peer ? peer.peakRssMiB / gatehouse.peakRssMiB : Number.NaN, 2),
      title: caseDef.title,
      ...(store ? { store } : {}),
      against: caseDef.against ?? 'context only',
      details: { gatehouse: detail(gatehouse), peer: detail(peer) },
      run,
    });
  };
  for (const caseDef of CASES) {
    const results = summary[caseDef.id];
    if (!results) continue;
    if (caseDef.id === 'guard') {
      row(caseDef, 'resource guard vs jose.jwtVerify', results['guard-gatehouse'], results['guard-jose'], { process: 'guard-gatehouse' });
    } else if (caseDef.id === 'floor') {
      row(caseDef, 'hello JSON: Hono/node-server vs Koa', results['floor-hono'], results['floor-koa'], { process: 'floor-hono' });
      if (results['floor-node']) {
        row({ ...caseDef, title: 'hello JSON on raw node:http: the ceiling', against: 'context only' }, 'node:http ceiling', results['floor-node'], undefined, {
          process: 'floor-node',
        });
      }
    } else {
      const reference = caseDef.reference ? results[caseDef.reference] : results.peer;
      for (const store of STORES) {
        const gatehouse = results[`gatehouse-${store}`];
        if (gatehouse) row(caseDef, `${caseDef.id} (${store})`, gatehouse, reference, { store, process: `gatehouse-${store}` });
      }
    }
  }
  return rows;
}

const fmt = (value) => {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
};
const whole = (value) => (value === null || value === undefined || !Number.isFinite(value) ? '—' : Math.round(value).toLocaleString('en-US'));
const ms = (value) => (value === null || value === undefined ? '—' : value.toFixed(value >= 10 ? 1 : 2));
const ratioText = (value) => (value === null ? '—' : `${value.toFixed(2)}×`);

/** The summary table, as Markdown (also what the terminal shows). */
export function summaryTable(rows) {
  const lines = [
    '| case | Gatehouse | peer | Gatehouse / peer | unit | peer is | Gatehouse p50 / p99 ms | peer p50 / p99 ms | CPU per op, peer / Gatehouse |',
    '|---|---:|---:|---:|---|---|---:|---:|---:|',
  ];
  for (const row of rows) {
    const g = row.details.gatehouse;
    const p = row.details.peer;
    lines.push(
      `| ${row.case} | ${fmt(row.gatehouse)} | ${fmt(row.peer)} | ${ratioText(row.ratio)} | ${row.unit} | ${row.against} | ${g ? `${ms(g.p50Ms)} / ${ms(g.p99Ms)}` : '—'} | ${p ? `${ms(p.p50Ms)} / ${ms(p.p99Ms)}` : '—'} | ${ratioText(row.cpuRatio)} |`,
    );
  }
  return lines.join('\n');
}

const perOp = (value) => (value === null || value === undefined ? '—' : value.toFixed(1));

/** Per-process figures: rate, latency, CPU, memory, store round trips, failures. */
export function detailTable(summary) {
  const lines = [
    '| case | process | rate | p50 ms | p99 ms | CPU % | CPU ms / op | PostgreSQL + Redis CPU % | peak RSS MiB | store calls / op | SQL / op | Redis / op | load-gen CPU % | other load CPU % | failed |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const caseDef of CASES) {
    for (const [name, measurement] of Object.entries(summary[caseDef.id] ?? {})) {
      const d = detail(measurement);
      lines.push(
        `| ${caseDef.id} | ${PROCESSES[name].label} | ${fmt(d.rate)} ${PROCESSES[name].unit ?? caseDef.unit} | ${ms(d.p50Ms)} | ${ms(d.p99Ms)} | ${whole(d.cpuPercent)} | ${d.cpuMsPerOp === null ? '—' : d.cpuMsPerOp.toFixed(3)} | ${whole(d.serviceCpuPercent)} | ${whole(d.peakRssMiB)} | ${perOp(d.storeCallsPerOp)} | ${perOp(d.sqlStatementsPerOp)} | ${perOp(d.redisCommandsPerOp)} | ${PROCESSES[name].inProcess ? '—' : whole(measurement.generatorCpuPercent)} | ${whole(d.otherLoadCpuPercent)} | ${d.failed} |`,
      );
    }
  }
  return lines.join('\n');
}

/** Store calls per operation, by store operation, for each Gatehouse server and case. */
export function storeCallsTable(summary) {
  const lines = [];
  for (const caseDef of CASES) {
    for (const [name, measurement] of Object.entries(summary[caseDef.id] ?? {})) {
      const calls = measurement.storeCallsByOperation;
      if (!calls || Object.keys(calls).length === 0) continue;
      const list = Object.entries(calls)
        .filter(([, value]) => value >= 0.005)
        .map(([operation, value]) => `\`${operation}\` ${value.toFixed(2)}`)
        .join(', ');
      lines.push(`| ${caseDef.id} | ${PROCESSES[name].label} | ${perOp(measurement.storeCallsPerOp)} | ${list} |`);
    }
  }
  if (lines.length === 0) return '';
  return ['| case | process | store calls / op | by operation |', '|---|---|---:|---|', ...lines].join('\n');
}

/** Writes `latest.md` and `latest.json` into `directory`. */
export function writeResults(directory, rows, summary, run) {
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'latest.json'), `${JSON.stringify(rows, null, 2)}\n`);
  const failures = Object.entries(summary).flatMap(([caseId, processes]) =>
    Object.entries(processes).flatMap(([name, measurement]) =>
      Object.entries(measurement.failures).map(([reason, count]) => `- ${caseId} / ${name}: ${count} × ${reason}`),
    ),
  );
  const disturbed = Object.entries(summary).flatMap(([caseId, processes]) =>
    Object.entries(processes)
      .filter(([, measurement]) => measurement.foreignCpuPercent > QUIET_PERCENT)
      .map(([name]) => `${caseId} / ${name}`),
  );
  const byOperation = storeCallsTable(summary);
  const markdown = [
    '# Benchmark results: Gatehouse vs oidc-provider',
    '',
    `Generated by \`npm run bench${run.mode === 'quick' ? ' -- --quick' : ''}\` — see BENCHMARKS.md for the method and what each case does.`,
    '',
    `- Date: ${run.date}`,
    `- Mode: ${run.mode} (${run.rounds} round${run.rounds > 1 ? 's' : ''} × ${run.warmup} s warm-up + ${run.duration} s measured per process and case; ${run.connections} connections)`,
    `- Node ${run.node}; ${run.cpu} × ${run.cores} cores; ${run.memoryGiB} GiB; load average at start ${run.loadAverageAtStart.join(', ')}; other load before start ${run.otherLoadBeforeStart} % of a core`,
    `- Gatehouse commit ${run.commit}; oidc-provider ${run.peerVersion}; autocannon ${run.autocannonVersion}`,
    `- Other load: at most ${run.maxOtherLoadPercent ?? '—'} % of a core during any measurement (${run.maxOtherLoadPercent !== null && run.maxOtherLoadPercent <= QUIET_PERCENT ? `a quiet machine: under ${QUIET_PERCENT} %` : `**over ${QUIET_PERCENT} %: not a quiet machine, these figures are not evidence**`})`,
    ...(run.skipped?.length > 0 ? run.skipped.map((entry) => `- Skipped ${entry.process}: ${entry.reason}`) : []),
    '',
    'Rates are medians over rounds. The ratio is Gatehouse / peer: above 1 Gatehouse is faster. The last',
    'column compares CPU time per operation (peer / Gatehouse: above 1 Gatehouse needs less CPU), which',
    'other load on the machine disturbs less than the rate.',
    '',
    ...(disturbed.length > 0
      ? [
          `**Disturbed:** other programs used more than ${QUIET_PERCENT} % of a core during ${disturbed.join(', ')}; treat those rates with care (see "other load" below).`,
          '',
        ]
      : []),
    summaryTable(rows),
    '',
    '## Per process',
    '',
    'CPU % is the server process alone (100 % = one core); CPU ms / op is its CPU time per request,',
    "flow or sign-in. On PostgreSQL + Redis, the CPU of its PostgreSQL backends, PostgreSQL's background",
    'processes and the Redis server is shown apart. Peak RSS is the high-water mark during the case.',
    "Store calls / op: calls to the store contract per request, flow or sign-in, from the server's",
    `own /metrics (${run.storeCallsSource ?? 'not available'}); SQL / op and Redis / op: statements and commands sent.`,
    'The load generator runs in the parent process on the same two cores. "Other load" is CPU the rest',
    'of the machine used meanwhile (the highest over rounds).',
    '',
    detailTable(summary),
    '',
    ...(byOperation ? ['## Store calls by operation', '', 'Per request, flow or sign-in (medians over rounds).', '', byOperation, ''] : []),
    ...(failures.length > 0 ? ['## Failed requests', '', ...failures, ''] : []),
  ].join('\n');
  writeFileSync(join(directory, 'latest.md'), markdown);
}
