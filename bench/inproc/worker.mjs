/**
 * The child side of an in-process case: waits for `run` messages from the parent, runs the
 * operation with a fixed number in flight for the given time, and answers with ops and latency.
 */
import { percentile } from '../lib/load.mjs';

/**
 * Serves `run` requests with `operation` (one async call = one op). `ready` is sent once set up.
 * @param {() => Promise<unknown>} operation
 */
export function serveRuns(operation, info = {}) {
  process.on('message', async (message) => {
    if (message?.type === 'stop') process.exit(0);
    if (message?.type !== 'run') return;
    const result = await runFor(operation, message.seconds, message.concurrency);
    process.send({ type: 'result', ...result });
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', info });
}

async function runFor(operation, seconds, concurrency) {
  const latencies = [];
  let failed = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await operation();
        latencies.push(performance.now() - t0);
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - start) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    completed: latencies.length,
    failed,
    seconds: elapsed,
    rate: latencies.length / elapsed,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
  };
}
