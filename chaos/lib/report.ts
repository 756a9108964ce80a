/**
 * The results of `npm run chaos` as markdown: the run's circumstances, a row per phase (answers,
 * failures, longest request, recovery, other load, PASS/FAIL), what failed with its figures, the
 * durable state before and after, and the memory samples of the soak. The same text is printed and
 * written to the results file (RELIABILITY.md with CHAOS_WRITE=1).
 */
import { passed, type PhaseResult } from './phase.js';

export interface RunInfo {
  date: string;
  commit: string;
  machine: string;
  versions: string;
  mode: string;
  /** Other load before the first phase, percent of a core. */
  idleOtherLoadPercent: number;
  /** The criteria, one line each. */
  criteria: string[];
}

export interface DurableRow {
  check: string;
  before: string;
  after: string;
  ok: boolean;
}

export interface MemorySample {
  /** Seconds since the soak began. */
  atS: number;
  node: string;
  rssMiB: number | undefined;
  heapMiB: number | undefined;
}

const number = new Intl.NumberFormat('en-US');

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function answers(result: PhaseResult): string {
  const statuses = [...result.summary.outcomes].filter((entry): entry is [number, number] => typeof entry[0] === 'number').sort(([a], [b]) => a - b);
  return statuses.length === 0 ? '–' : statuses.map(([status, n]) => `${status}: ${number.format(n)}`).join(' · ');
}

function failures(result: PhaseResult): string {
  const { outcomes } = result.summary;
  return ['reset', 'refused', 'timeout'].map((kind) => number.format(outcomes.get(kind as 'reset') ?? 0)).join(' / ');
}

function recovery(result: PhaseResult): string {
  if (result.recoveryMs === undefined) return '–';
  return result.recoveryMs === null ? 'never' : `${number.format(result.recoveryMs)} ms`;
}

function mib(value: number | undefined): string {
  return value === undefined ? '–' : value.toFixed(1);
}

/** The whole report. */
export function renderReport(info: RunInfo, phases: readonly PhaseResult[], durable: readonly DurableRow[], memory: readonly MemorySample[]): string {
  const failed = phases.filter((phase) => !passed(phase));
  const durableOk = durable.length > 0 && durable.every((row) => row.ok);
  const loads = phases.map((phase) => phase.otherLoadPercent).filter((value): value is number => value !== undefined);
  const busiest = phases.reduce<PhaseResult | undefined>(
    (top, phase) => ((phase.otherLoadPercent ?? -1) > (top?.otherLoadPercent ?? -1) ? phase : top),
    undefined,
  );
  const lines: string[] = [];
  lines.push(
    '# Reliability',
    '',
    'Results of `npm run chaos` (chaos/matrix.chaos.ts): two `gatehouse start` instances over PostgreSQL and',
    'Redis, each dependency behind a TCP proxy that kills, freezes and slows it, under a bounded mixed load',
    '(client credentials, introspection, full browser sign-ins with code redemption and refreshes); then',
    'kill -9, SIGHUP and SIGTERM of instances under load (one process, and `--workers 2`), a Sentinel',
    'failover, a Redis Cluster, and a soak with memory samples. How to rerun it and what each phase does:',
    '[docs/production.md](docs/production.md#checking-reliability-npm-run-chaos).',
    '',
    '## The run',
    '',
    '| | |',
    '|---|---|',
    `| Date | ${info.date} |`,
    `| Commit | ${info.commit} |`,
    `| Machine | ${cell(info.machine)} |`,
    `| Versions | ${cell(info.versions)} |`,
    `| Mode | ${cell(info.mode)} |`,
    `| Other load | ${Math.round(info.idleOtherLoadPercent)} % of a core before the run; during the phases ${
      loads.length === 0
        ? '–'
        : `${Math.round(loads.reduce((a, b) => a + b, 0) / loads.length)} % on average, at most ${Math.round(Math.max(...loads))} % (${busiest?.name ?? ''})`
    } |`,
    `| Result | ${phases.length - failed.length} of ${phases.length} phases PASS; durable state ${durableOk ? 'PASS' : 'FAIL'} |`,
    '',
    'Criteria:',
    '',
    ...info.criteria.map((line) => `- ${line}`),
    '',
    '## Phases',
    '',
    '| Phase | Requests | Answers | Reset / refused / timeout | Longest | Recovery | Other load | Result |',
    '|---|--:|---|--:|--:|--:|--:|---|',
  );
  for (const phase of phases) {
    lines.push(
      `| ${cell(phase.name)} | ${number.format(phase.summary.requests)} | ${answers(phase)} | ${failures(phase)} | ${number.format(phase.summary.longestMs)} ms | ${recovery(phase)} | ${
        phase.otherLoadPercent === undefined ? '–' : `${Math.round(phase.otherLoadPercent)} %`
      } | ${passed(phase) ? 'PASS' : '**FAIL**'} |`,
    );
  }
  if (failed.length > 0) {
    lines.push('', '### What failed', '');
    for (const phase of failed) {
      for (const verdict of phase.verdicts.filter((candidate) => !candidate.ok)) lines.push(`- **${phase.name}**: ${verdict.rule}: ${cell(verdict.detail)}`);
    }
  }
  const notes = phases.flatMap((phase) => phase.notes.map((note) => `- ${phase.name}: ${note}`));
  if (notes.length > 0) lines.push('', '### Notes', '', ...notes);

  lines.push('', '## Durable state, before the first phase and after the last', '', '| Check | Before | After | Result |', '|---|---|---|---|');
  for (const row of durable) lines.push(`| ${cell(row.check)} | ${cell(row.before)} | ${cell(row.after)} | ${row.ok ? 'PASS' : '**FAIL**'} |`);
  if (durable.length === 0) lines.push('| (not reached) | | | **FAIL** |');

  if (memory.length > 0) {
    const nodes = [...new Set(memory.map((sample) => sample.node))];
    const times = [...new Set(memory.map((sample) => sample.atS))].sort((a, b) => a - b);
    lines.push(
      '',
      '## Memory during the soak (MiB, from each instance’s /metrics)',
      '',
      `| Time | ${nodes.map((node) => `${node} RSS | ${node} heap used`).join(' | ')} |`,
      `|--:|${nodes.map(() => '--:|--:').join('|')}|`,
    );
    for (const at of times) {
      const row = nodes.map((node) => {
        const sample = memory.find((candidate) => candidate.atS === at && candidate.node === node);
        return `${mib(sample?.rssMiB)} | ${mib(sample?.heapMiB)}`;
      });
      lines.push(`| ${at} s | ${row.join(' | ')} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
