/**
 * Connection-level error codes of Node, `pg` (SQLSTATE class 08, 57P0x: the server is going away or
 * starting; 57014: a statement cancelled, by `statement_timeout` or an operator) and better-sqlite3
 * (another process held the database lock longer than the busy timeout).
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ENETUNREACH',
  '57014',
  '57P01',
  '57P02',
  '57P03',
  'SQLITE_BUSY',
  // A one-time code's sender (SMTP, webhook) got no answer within its deadline.
  'ERR_DELIVERY_TIMEOUT',
]);
/**
 * Messages of the drivers' own errors, which carry no code. ioredis: the connection is closed or not
 * writable, a command had no answer within `commandTimeout` ("Command timed out"), a socket
 * answered nothing within `socketTimeout`. `pg`: a connection could not be had in time, or a query
 * had no answer within `query_timeout` ("Query read timeout"), after which the connection is closed
 * ("Client was closed and is not queryable" for what else was sent on it).
 */
const UNAVAILABLE_MESSAGES = [
  /Connection is closed/i,
  /enableOfflineQueue/i,
  /max retries per request/i,
  /Command timed out/i,
  /Socket timeout/i,
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Query read timeout/i,
  /Client was closed and is not queryable/i,
  /the database system is (starting up|shutting down)/i,
  /Client has encountered a connection error/i,
  // Redis during a failover or a restart: a write reached a demoted primary (READONLY), a node is
  // still loading its data (LOADING), a replica lost its primary (MASTERDOWN), a cluster's slot has
  // no node or is moving (CLUSTERDOWN, TRYAGAIN, also as ioredis's "Too many Cluster redirections.
  // Last error: ..."), and ioredis found no Sentinel or cluster node to ask.
  /^(READONLY|LOADING|MASTERDOWN|TRYAGAIN) /,
  /\bCLUSTERDOWN\b/,
  /All sentinels are unreachable/i,
  /Failed to refresh slots cache/i,
  /None of startup nodes is available/i,
];

/**
 * The code of the server's `ClientAbortError` (the client broke off its request), named here by its
 * code because the stores sit below the server and cannot import it.
 */
const CLIENT_ABORTED = 'ERR_CLIENT_ABORTED';

/**
 * True when an error means the database, Redis or another service the request depends on cannot
 * answer right now, as opposed to a bug or a bad query: it could not be reached, or it did not
 * answer within its deadline. The request should get 503 and be retried; service resumes by itself.
 * A deadline of `AbortSignal.timeout()` (an upstream provider's answer) rejects with a
 * `TimeoutError`, which counts too.
 *
 * Pass only errors of the store and the services behind it. The codes (`ECONNRESET`, `EPIPE`...)
 * are the same for a client's connection as for the database's, so the request's own failures are
 * marked where they happen instead (the server's `readBody` raises a `ClientAbortError`, code
 * `ERR_CLIENT_ABORTED`), and an error so marked, or wrapping one, is never the store's.
 */
export function isStoreUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (code === CLIENT_ABORTED) return false;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08'))) return true;
    if (current.name === 'MaxRetriesPerRequestError' || current.name === 'TimeoutError') return true;
    if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(current instanceof Error ? current.message : ''))) return true;
  }
  return false;
}
