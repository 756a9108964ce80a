/** Connection-level error codes of Node, `pg` (SQLSTATE classes 08 and 57P0x) and ioredis. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'ENETUNREACH', '57P01', '57P02', '57P03']);
const UNAVAILABLE_MESSAGES = [
  /Connection is closed/i,
  /enableOfflineQueue/i,
  /max retries per request/i,
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /the database system is (starting up|shutting down)/i,
  /Client has encountered a connection error/i,
];

/**
 * True when an error means the database or Redis cannot be reached right now (as opposed to a bug
 * or a bad query): the request should get 503 and be retried, and service resumes by itself.
 */
export function isStoreUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08'))) return true;
    if (current.name === 'MaxRetriesPerRequestError') return true;
    if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(current instanceof Error ? current.message : ''))) return true;
  }
  return false;
}
