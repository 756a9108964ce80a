/**
 * The load generator: autocannon as a library, closed loop (each connection sends its next request
 * when the previous answered), bounded by `duration`, on loopback only. A case is a *flow* of one
 * or more requests per connection; latency is measured per flow (first request written → last
 * response read), so a multi-step case reports flows/s and per-flow p50/p99.
 */
import autocannon from 'autocannon';

/**
 * @typedef {object} Step
 * @property {string} [method]
 * @property {string} [path]
 * @property {Record<string, string>} [headers]
 * @property {string} [body]
 * @property {(context: Record<string, unknown>) => { path?: string, headers?: Record<string, string>, body?: string }} [setup]
 *   per-request values (from what earlier steps put in `context`)
 * @property {number} status the expected status
 * @property {(body: string, headers: Record<string, string>, context: Record<string, unknown>) => boolean} [check]
 *   reads the response into `context`; false fails the flow
 */

/**
 * Runs `steps` as a flow on every connection for `duration` seconds.
 * @returns {Promise<{ completed: number, failed: number, seconds: number, rate: number, p50: number, p99: number, errors: number, timeouts: number, failures: Record<string, number> }>}
 */
export async function runFlows({ port, connections, duration, steps }) {
  const latencies = [];
  const failures = {};
  let completed = 0;
  let failed = 0;
  const fail = (reason, context) => {
    failed += 1;
    failures[reason] = (failures[reason] ?? 0) + 1;
    context.failed = true;
  };
  const requests = steps.map((step, index) => ({
    method: step.method ?? 'GET',
    path: step.path ?? '/',
    headers: step.headers ?? {},
    body: step.body,
    // Called just before the request is written (the first one of each connection: before connecting).
    setupRequest: (request, context) => {
      if (index === 0) context.t0 = performance.now();
      // A failed flow starts over (autocannon moves to the first step when a later one returns null).
      else if (context.failed) return null;
      const custom = step.setup?.(context);
      if (!custom) return request;
      return { ...request, ...custom, headers: { ...request.headers, ...custom.headers } };
    },
    onResponse: (status, body, context, headers) => {
      if (status !== step.status) return fail(`step ${index + 1}: status ${status}${body ? ` ${body.slice(0, 120)}` : ''}`, context);
      if (step.check && !step.check(body, lowerCase(headers), context)) return fail(`step ${index + 1}: unexpected response ${body.slice(0, 120)}`, context);
      if (index === steps.length - 1) {
        completed += 1;
        latencies.push(performance.now() - context.t0);
      }
    },
  }));
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    pipelining: 1,
    timeout: 20,
    requests,
  });
  const seconds = result.duration;
  const sorted = Float64Array.from(latencies).sort();
  return {
    completed,
    failed,
    seconds,
    rate: completed / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    errors: result.errors,
    timeouts: result.timeouts,
    failures,
  };
}

/** The value at quantile `q` of an ascending array (nearest rank). */
export function percentile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function lowerCase(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}
