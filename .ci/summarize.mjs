// Reads vitest's JSON report and prints the closing line CI reads: "N passed, N failed[, N skipped]".
// A run that failed before any test ran (build error, crashed worker) counts as one failure, and so
// does each failed static check (lint, format, dead code) whose count .ci/run passes as argument 2.
import { readFileSync } from 'node:fs';

const failedChecks = Number(process.argv[3] ?? 0);
let report;
try {
  report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch {
  console.log(`0 passed, ${1 + failedChecks} failed`);
  process.exit(0);
}
const passed = report.numPassedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// Suites that failed to load hold no counted tests; count each as a failure so the line is honest.
const brokenSuites = (report.testResults ?? []).filter((suite) => suite.status === 'failed' && (suite.assertionResults ?? []).length === 0).length;
const failed = (report.numFailedTests ?? 0) + brokenSuites + failedChecks;
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
