/**
 * A deadline on every request the client, the resource guard and the server's upstreams make:
 * `fetch` wrapped so that each call is aborted after a timeout, its answer's body included.
 * Internal: not exported from the package.
 */
import { ConfigError } from './errors.js';

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
 * @example
 * const fetcher = fetchWithDeadline(globalThis.fetch.bind(globalThis), 5000);
 */
export function fetchWithDeadline(base: typeof fetch, timeoutMs: number): typeof fetch {
  return (input, init = {}) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    return base(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, deadline]) : deadline });
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
