/**
 * Which errors mean "the store cannot be reached right now" (503, retried) and which do not: a bug,
 * a bad query, and a client that broke off its request are never a store outage. A call past its
 * deadline is an outage too, as an unreachable store is: every driver says so in its own words.
 */
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable } from './unavailable.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });
/** What the server's `readBody` raises when the client's connection resets mid-body. */
const clientAbort = (cause: unknown) => Object.assign(new Error('the client broke off the request', { cause }), { code: 'ERR_CLIENT_ABORTED' });

describe('isStoreUnavailable', () => {
  describe('a store that cannot be reached', () => {
    it.each([
      { case: 'a reset connection to the database', error: coded('ECONNRESET', 'read ECONNRESET') },
      { case: 'a refused connection', error: coded('ECONNREFUSED') },
      { case: 'a timeout', error: coded('ETIMEDOUT') },
      { case: 'PostgreSQL: connection failure (SQLSTATE 08006)', error: coded('08006') },
      { case: 'PostgreSQL: shutting down (57P01)', error: coded('57P01') },
      { case: 'pg: the connection was terminated', error: new Error('Connection terminated unexpectedly') },
      { case: 'ioredis: the connection is closed', error: new Error('Connection is closed.') },
      { case: 'ioredis: max retries', error: Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }) },
      { case: 'a driver error wrapping a reset', error: new Error('query failed', { cause: coded('ECONNRESET') }) },
      { case: 'Redis: a write to a demoted primary', error: new Error("READONLY You can't write against a read only replica.") },
      { case: 'Redis: still loading', error: new Error('LOADING Redis is loading the dataset in memory') },
      { case: 'Redis: a replica without its primary', error: new Error('MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.') },
      { case: 'Redis Cluster: down', error: new Error('CLUSTERDOWN The cluster is down') },
      {
        case: 'Redis Cluster: redirected too often',
        error: new Error('Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down'),
      },
      { case: 'Redis Cluster: a slot moving', error: new Error('TRYAGAIN Multiple keys request during rehashing of slot') },
      { case: 'ioredis: no cluster node answers', error: new Error('Failed to refresh slots cache.') },
      { case: 'ioredis: no Sentinel answers', error: new Error('All sentinels are unreachable. Retrying from scratch after 1000ms.') },
    ])('true for $case', ({ error }) => {
      expect(isStoreUnavailable(error)).toBe(true);
    });

    it.each([
      { case: 'a bug', error: new TypeError('cannot read properties of undefined') },
      { case: 'a constraint violation', error: coded('23505', 'duplicate key value') },
      { case: 'a Lua script error', error: new Error('ERR user_script:1: Script attempted to access a non local key in a cluster node') },
      { case: 'a reply merely mentioning a reply word', error: new Error('ERR wrong number of arguments for READONLY') },
      { case: 'not an Error', error: 'ECONNRESET' },
      { case: "a client's reset connection, marked as a client abort", error: clientAbort(coded('ECONNRESET', 'aborted')) },
      { case: 'a client abort wrapped again', error: new Error('request failed', { cause: clientAbort(coded('EPIPE')) }) },
    ])('false for $case', ({ error }) => {
      expect(isStoreUnavailable(error)).toBe(false);
    });
  });

  describe('a call past its deadline', () => {
    it.each([
      { case: 'ioredis: no answer within commandTimeout', error: new Error('Command timed out') },
      { case: 'ioredis: a silent connection closed by socketTimeout', error: new Error("Socket timeout. Expecting data, but didn't receive any in 3000ms.") },
      { case: 'pg: no answer within query_timeout', error: new Error('Query read timeout') },
      { case: 'pg: what else was sent on the connection closed after it', error: new Error('Client was closed and is not queryable') },
      { case: 'pg-pool: no connection within connectionTimeoutMillis', error: new Error('timeout exceeded when trying to connect') },
      { case: 'pg-pool: a new connection cut at connectionTimeoutMillis', error: new Error('Connection terminated due to connection timeout') },
      { case: 'PostgreSQL: statement_timeout (57014)', error: coded('57014', 'canceling statement due to statement timeout') },
      { case: 'SQLite: the lock held past busy_timeout', error: coded('SQLITE_BUSY', 'database is locked') },
      { case: 'fetch: AbortSignal.timeout (an upstream provider)', error: new DOMException('The operation was aborted due to timeout', 'TimeoutError') },
      { case: 'a one-time code sender past its deadline', error: coded('ERR_DELIVERY_TIMEOUT', 'webhook https://sms.example did not answer within 5000 ms') },
    ])('true for $case', ({ error }) => {
      expect(isStoreUnavailable(error)).toBe(true);
    });

    it.each([
      { case: 'an abort by the caller (not a deadline)', error: new DOMException('This operation was aborted', 'AbortError') },
      { case: 'a sender the gateway refused', error: coded('ERR_DELIVERY_FAILED', 'webhook https://sms.example answered HTTP 400') },
    ])('false for $case', ({ error }) => {
      expect(isStoreUnavailable(error)).toBe(false);
    });
  });
});
