/**
 * Compares the result rows of a run (latest.json) with the targets in bench/thresholds.json:
 * every rate ratio, p99 comparison and peak-RSS comparison the file lists, plus whether the
 * machine was quiet enough for the run to count as evidence. Used by `run.mjs --check` and by
 * `check.mjs` on a results file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './dist.mjs';

export const THRESHOLDS_FILE = join(ROOT, 'bench', 'thresholds.json');

/**
 * The checks a threshold entry may set, each a ratio where above 1 favours Gatehouse:
 * `key` in the file, how the ratio is read from a row, and how it is described.
 */
const CHECKS = [
  { key: 'minRatio', label: 'rate', value: rateRatio, figures: (g, p) => figures(g?.rate, p?.rate, '/s') },
  { key: 'minP99Ratio', label: 'p99 (peer / Gatehouse)', value: p99Ratio, figures: (g, p) => figures(g?.p99Ms, p?.p99Ms, ' ms') },
  { key: 'minRssRatio', label: 'peak RSS (peer / Gatehouse)', value: rssRatio, figures: (g, p) => figures(g?.peakRssMiB, p?.peakRssMiB, ' MiB') },
];

/**
 * Reads and validates a thresholds file; throws naming the bad entry.
 * @returns {{ maxOtherLoadPercent: number, thresholds: Array<{ target?: string, cases: string[], processes: string[], minRatio?: number, minP99Ratio?: number, minRssRatio?: number }> }}
 */
export function readThresholds(file = THRESHOLDS_FILE) {
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  const bad = (where, what) => {
    throw new Error(`${file}: ${where} ${what}`);
  };
  if (!(parsed.maxOtherLoadPercent >= 0)) bad('maxOtherLoadPercent', 'must be a number of percent of one core');
  if (!Array.isArray(parsed.thresholds)) bad('thresholds', 'must be an array');
  parsed.thresholds.forEach((entry, index) => {
    const where = `thresholds[${index}]`;
    for (const list of ['cases', 'processes']) {
      if (!Array.isArray(entry[list]) || entry[list].length === 0 || entry[list].some((item) => typeof item !== 'string'))
        bad(`${where}.${list}`, 'must be a non-empty array of names');
    }
    const set = CHECKS.filter(({ key }) => entry[key] !== undefined);
    if (set.length === 0) bad(where, `sets none of ${CHECKS.map(({ key }) => key).join(', ')}`);
    for (const { key } of set) if (typeof entry[key] !== 'number' || !(entry[key] > 0)) bad(`${where}.${key}`, 'must be a positive number');
  });
  return parsed;
}

/** The quiet-machine limit of the default thresholds file (percent of one core), for the run's own warnings. */
export const QUIET_PERCENT = readThresholds().maxOtherLoadPercent;

function figures(gatehouse, peer, unit) {
  const text = (value) => (Number.isFinite(value) ? `${Number(value.toPrecision(4))}${unit}` : '—');
  return `Gatehouse ${text(gatehouse)}, peer ${text(peer)}`;
}

function rateRatio(row) {
  // From the rates rather than the rounded ratio, so 1.996 is not read as 2.
  if (row.gatehouse > 0 && row.peer > 0) return row.gatehouse / row.peer;
  return row.ratio ?? Number.NaN;
}

function p99Ratio(row) {
  const g = row.details?.gatehouse?.p99Ms;
  const p = row.details?.peer?.p99Ms;
  return g > 0 && p > 0 ? p / g : Number.NaN;
}

function rssRatio(row) {
  const g = row.details?.gatehouse?.peakRssMiB;
  const p = row.details?.peer?.peakRssMiB;
  return g > 0 && p > 0 ? p / g : Number.NaN;
}

/** The case id of a row; rows written before `caseId` existed are recognised by their name. */
function caseIdOf(row) {
  if (row.caseId) return row.caseId;
  if (row.case.startsWith('resource guard')) return 'guard';
  if (row.case.startsWith('hello JSON') || row.case.startsWith('node:http')) return 'floor';
  return row.case.replace(/ \(.*\)$/, '');
}

/** The measured Gatehouse process of a row (`gatehouse-memory`, `guard-gatehouse`, ...). */
function processOf(row) {
  if (row.process) return row.process;
  if (caseIdOf(row) === 'guard') return 'guard-gatehouse';
  return row.store ? `gatehouse-${row.store}` : undefined;
}

/** The highest other load of the run: recorded by the run, or the highest of any measurement. */
function otherLoadOf(rows, run) {
  const recorded = run?.maxOtherLoadPercent;
  if (Number.isFinite(recorded)) return recorded;
  const loads = rows.flatMap((row) => [row.details?.gatehouse?.otherLoadCpuPercent, row.details?.peer?.otherLoadCpuPercent]).filter(Number.isFinite);
  return loads.length > 0 ? Math.max(...loads) : undefined;
}

/**
 * Checks `rows` against `thresholds` (from {@link readThresholds}); `run` describes the run (by
 * default the one recorded in the rows).
 * `exitCode`: 0 when every ratio is at or above its threshold on a quiet machine; 1 when one is
 * below, a measurement had failed requests, or nothing could be checked; 3 when every ratio passes
 * but the machine was not quiet (other load over `maxOtherLoadPercent`), so the run proves nothing.
 */
export function checkRows(rows, thresholds, run = rows[0]?.run) {
  const below = [];
  const failedRequests = [];
  const notMeasured = new Map();
  let checked = 0;
  for (const entry of thresholds.thresholds) {
    for (const caseId of entry.cases) {
      for (const processName of entry.processes) {
        const row = rows.find((candidate) => caseIdOf(candidate) === caseId && processOf(candidate) === processName);
        const checks = CHECKS.filter(({ key }) => entry[key] !== undefined);
        if (!row) {
          const missing = notMeasured.get(processName) ?? { cases: [], ratios: 0 };
          missing.cases.push(caseId);
          missing.ratios += checks.length;
          notMeasured.set(processName, missing);
          continue;
        }
        const failed = (row.details?.gatehouse?.failed ?? 0) + (row.details?.peer?.failed ?? 0);
        if (failed > 0) failedRequests.push(`${row.case}: ${failed} failed request${failed > 1 ? 's' : ''} or flows`);
        for (const check of checks) {
          checked += 1;
          const value = check.value(row);
          if (Number.isFinite(value) && value >= entry[check.key]) continue;
          below.push({
            row: row.case,
            label: check.label,
            value,
            minimum: entry[check.key],
            figures: check.figures(row.details?.gatehouse, row.details?.peer),
          });
        }
      }
    }
  }
  const otherLoad = otherLoadOf(rows, run);
  const quiet = otherLoad !== undefined && otherLoad <= thresholds.maxOtherLoadPercent;
  const passed = checked > 0 && below.length === 0 && failedRequests.length === 0;
  return {
    checked,
    below,
    failedRequests,
    notMeasured: [...notMeasured].map(([processName, missing]) => ({ process: processName, ...missing })),
    otherLoad,
    maxOtherLoadPercent: thresholds.maxOtherLoadPercent,
    quiet,
    run,
    exitCode: passed ? (quiet ? 0 : 3) : 1,
  };
}

/** A ratio below `minimum`, with enough digits not to print as the minimum itself (0.996 as 0.996, not 1.00). */
function times(value, minimum) {
  if (!Number.isFinite(value)) return 'no figure';
  const short = value.toFixed(2);
  return `${Number(short) >= minimum ? value.toFixed(3) : short}×`;
}

/** The outcome of {@link checkRows} as lines of text; the last line is the verdict. */
export function formatCheck(outcome, file = THRESHOLDS_FILE) {
  const run = outcome.run ?? {};
  const skipped = new Map((run.skipped ?? []).map((entry) => [entry.process, entry.reason]));
  const lines = [
    `Check against ${file.startsWith(ROOT) ? file.slice(ROOT.length + 1) : file}: ${run.mode ?? '?'} run of ${run.date ?? '?'}, commit ${run.commit ?? '?'}, ${outcome.otherLoad === undefined ? 'other load unknown' : `other load at most ${outcome.otherLoad} % of a core`}`,
  ];
  for (const item of outcome.below) {
    lines.push(`  below: ${item.row}: ${item.label} ${times(item.value, item.minimum)} < ${item.minimum}× (${item.figures})`);
  }
  for (const item of outcome.failedRequests) lines.push(`  failed: ${item}: its figures are not valid`);
  for (const item of outcome.notMeasured) {
    const why = skipped.has(item.process) ? `skipped: ${skipped.get(item.process)}` : 'not in this run';
    lines.push(`  not measured: ${item.ratios} ratio${item.ratios > 1 ? 's' : ''} of ${item.process} (${item.cases.join(', ')}; ${why})`);
  }
  if (outcome.checked === 0) {
    lines.push('no threshold applies to this run: nothing checked');
  } else if (outcome.below.length > 0 || outcome.failedRequests.length > 0) {
    const parts = [];
    if (outcome.below.length > 0) parts.push(`${outcome.below.length} of ${outcome.checked} ratios below their thresholds`);
    if (outcome.failedRequests.length > 0)
      parts.push(`${outcome.failedRequests.length} measurement${outcome.failedRequests.length > 1 ? 's' : ''} with failed requests`);
    lines.push(parts.join('; '));
  } else {
    const unmeasured = outcome.notMeasured.reduce((sum, item) => sum + item.ratios, 0);
    lines.push(`all ${outcome.checked} ratios at or above their thresholds${unmeasured > 0 ? ` (${unmeasured} not measured in this run)` : ''}`);
  }
  if (!outcome.quiet && outcome.checked > 0) {
    lines.push(
      `NOT VALID EVIDENCE: other programs used ${outcome.otherLoad === undefined ? 'an unknown share' : `up to ${outcome.otherLoad} %`} of a core during the run (a quiet machine stays under ${outcome.maxOtherLoadPercent} %); rerun on a quiet machine`,
    );
  }
  return lines.join('\n');
}
