/**
 * Store calls per operation, read from Gatehouse's own `/metrics` (Prometheus text format) just
 * before and just after a measurement: what an operator's scraper sees, nothing added to the server.
 * `/metrics` answers loopback by default (`protection.operatorAllowList`), which is where the load
 * comes from.
 */
import { gatehouse } from './dist.mjs';

/** HTTP requests answered, by route: exact; tells how many operations the server finished. */
const HTTP_REQUESTS = 'gatehouse_http_requests_total';
/** An exact count of store calls by operation, if the build has one (it is preferred). */
const STORE_CALLS_COUNTER = 'gatehouse_store_operations_total';
/** The store latency histogram's observation count by operation: exact only if every call is timed. */
const STORE_LATENCY_COUNT = 'gatehouse_store_operation_duration_seconds_count';

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** `{ [label value]: sum }` of one metric of a Prometheus text exposition, by one label; undefined if absent. */
function byLabel(text, metric, label) {
  const values = {};
  let found = false;
  for (const line of text.split('\n')) {
    const match = SAMPLE_LINE.exec(line);
    if (!match || match[1] !== metric) continue;
    found = true;
    const value = [...(match[2] ?? '').matchAll(LABEL)].find(([, name]) => name === label)?.[2] ?? '';
    values[value] = (values[value] ?? 0) + Number(match[3]);
  }
  return found ? values : undefined;
}

let sampling;
/**
 * How the build samples its store latency histogram: `STORE_LATENCY_SAMPLE` (one call in N per
 * operation is timed, the first one included), or 1 for builds that time every call.
 */
async function latencySampling() {
  sampling ??= gatehouse('server/observability/instrument-store.js').then(
    (module) => (Number.isInteger(module.STORE_LATENCY_SAMPLE) && module.STORE_LATENCY_SAMPLE > 0 ? module.STORE_LATENCY_SAMPLE : 1),
    () => 1,
  );
  return sampling;
}

/**
 * Store calls so far by operation (`clients.get`, `artifacts.consume`, ...), from the exact counter
 * when the build has one, otherwise from the latency histogram's count times its sampling (then
 * an estimate: within N - 1 calls per operation over a window), and the HTTP requests answered so
 * far (the scrapes themselves left out). Undefined when `/metrics` cannot be read (a build
 * without it, or refused).
 * @returns {Promise<{ source: string, exact: boolean, calls: Record<string, number>, requests: number | undefined } | undefined>}
 */
async function storeCalls(port) {
  let text;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    if (response.status !== 200) return undefined;
    text = await response.text();
  } catch {
    return undefined;
  }
  const routes = byLabel(text, HTTP_REQUESTS, 'route');
  const requests = routes ? Object.entries(routes).reduce((sum, [route, count]) => (route === '/metrics' ? sum : sum + count), 0) : undefined;
  const counted = byLabel(text, STORE_CALLS_COUNTER, 'operation');
  if (counted) return { source: STORE_CALLS_COUNTER, exact: true, calls: counted, requests };
  const observed = byLabel(text, STORE_LATENCY_COUNT, 'operation');
  if (!observed) return undefined;
  const every = await latencySampling();
  if (every === 1) return { source: STORE_LATENCY_COUNT, exact: true, calls: observed, requests };
  const calls = Object.fromEntries(Object.entries(observed).map(([operation, count]) => [operation, count * every]));
  return { source: `${STORE_LATENCY_COUNT} × ${every} (timing sampled 1 in ${every}: an estimate)`, exact: false, calls, requests };
}

const total = (reading) => Object.values(reading.calls).reduce((sum, count) => sum + count, 0);

/**
 * {@link storeCalls} once the server has gone quiet: requests still in flight when the load stopped,
 * and work queued after their responses (audit appends), are finished and counted. Reads every
 * 100 ms until two readings agree (at most 3 s).
 */
export async function settledStoreCalls(port) {
  let reading = await storeCalls(port);
  for (let attempt = 0; reading && attempt < 30; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const next = await storeCalls(port);
    if (!next) return undefined;
    const same = next.requests === reading.requests && total(next) === total(reading);
    reading = next;
    if (same) break;
  }
  return reading;
}

/**
 * Calls per operation (request, flow or sign-in) between two readings of {@link storeCalls}:
 * `{ total, byOperation, operations, source, exact }`, or undefined without both readings or operations.
 * Operations are the requests the server answered meanwhile over `requestsPerOperation` (a flow's
 * requests): unlike the flows the load generator saw complete, these include the ones still in
 * flight when the window closed, whose store calls are counted too. Without the request counter,
 * `completed` is used.
 */
export function callsPerOperation(before, after, { completed, requestsPerOperation = 1 }) {
  if (!before || !after) return undefined;
  const answered = before.requests !== undefined && after.requests !== undefined ? (after.requests - before.requests) / requestsPerOperation : undefined;
  const operations = answered > 0 ? answered : completed;
  if (!(operations > 0)) return undefined;
  const byOperation = {};
  let total = 0;
  for (const [operation, count] of Object.entries(after.calls)) {
    const delta = count - (before.calls[operation] ?? 0);
    if (delta <= 0) continue;
    byOperation[operation] = delta / operations;
    total += delta;
  }
  return { total: total / operations, byOperation, operations, source: after.source, exact: after.exact };
}
