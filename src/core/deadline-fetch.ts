/**
 * A deadline on every request the client, the resource guard and the server's upstreams make:
 * `fetch` wrapped so that each call is aborted after a timeout, its answer's body included.
 * Internal: not exported from the package.
 */
import { ConfigError } from './errors.js';
import { endClientSpan, startClientSpan } from './tracing.js';

/**
 * Default deadline of one request to an authorization server or upstream provider, answer
 * included, in milliseconds (as jose's JWKS fetches and the webhook sender).
 */
export const DEFAULT_HTTP_TIMEOUT_MS = 5000;

/**
 * `fetch` with a deadline: every call gets `AbortSignal.timeout(timeoutMs)`, combined with the
 * caller's own signal when there is one (oauth4webapi passes none unless asked). The signal
 * covers the whole exchange: a body still arriving at the deadline is aborted too (undici). A call
 * past its deadline rejects with a `DOMException` named `TimeoutError`, which the server answers
 * with 503 (`isStoreUnavailable`).
 *
 * Each call is a CLIENT span (`HTTP GET`, child of the active span) when an OpenTelemetry SDK is
 * registered, and carries the trace on (`traceparent`); otherwise the call goes out unchanged.
 *
 * @example
 * const fetcher = fetchWithDeadline(globalThis.fetch.bind(globalThis), 5000);
 */
export function fetchWithDeadline(base: typeof fetch, timeoutMs: number): typeof fetch {
  return (input, init = {}) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    const request = input instanceof Request ? input : undefined;
    const trace = startClientSpan(init.method ?? request?.method ?? 'GET', input instanceof Request ? input.url : input);
    if (trace === undefined) return base(input, { ...init, signal });
    const headers = new Headers(init.headers ?? request?.headers);
    for (const [name, value] of Object.entries(trace.headers)) headers.set(name, value);
    return base(input, { ...init, headers, signal }).then(
      (response) => {
        endClientSpan(trace, response.status);
        return response;
      },
      (error: unknown) => {
        endClientSpan(trace, undefined, error);
        throw error;
      },
    );
  };
}

/**
 * The `timeoutMs` option, or the default.
 *
 * @throws {ConfigError} naming `option` when it is not a positive whole number of milliseconds.
 */
export function httpTimeout(value: unknown, option = 'timeoutMs'): number {
  if (value === undefined) return DEFAULT_HTTP_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(`option "${option}" must be a positive whole number of milliseconds`, 'ERR_INVALID_OPTION', option);
  }
  return value;
}
