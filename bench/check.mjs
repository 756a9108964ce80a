/**
 * Checks an existing results file against the targets, without running anything:
 *
 *   node bench/check.mjs [bench/results/latest.json] [--thresholds bench/thresholds.json]
 *
 * Prints each ratio below its threshold (and the ones not measured), then a one-line verdict.
 * Exit code 0: every ratio at or above its threshold, on a quiet machine; 1: a ratio below, failed
 * requests, or nothing to check; 2: the results or thresholds file cannot be read; 3: every ratio
 * passes, but other load on the machine was over the limit, so the run is not valid evidence.
 * `npm run bench -- --check` does the same after a run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkRows, formatCheck, readThresholds, THRESHOLDS_FILE } from './lib/check.mjs';
import { ROOT } from './lib/dist.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { thresholds: { type: 'string', default: THRESHOLDS_FILE } },
});
const file = positionals[0] ?? join(ROOT, 'bench', 'results', 'latest.json');
try {
  const rows = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(rows)) throw new Error(`${file}: not a results file (an array of rows, as latest.json)`);
  const outcome = checkRows(rows, readThresholds(values.thresholds));
  process.stdout.write(`${formatCheck(outcome, values.thresholds)}\n`);
  process.exitCode = outcome.exitCode;
} catch (error) {
  process.stderr.write(`bench/check.mjs: ${error.message}\n`);
  process.exitCode = 2;
}
