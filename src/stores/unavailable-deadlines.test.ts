/**
 * The failures of a call past its deadline are outages (503, retried), as an unreachable store is:
 * every driver says so in its own words. The rest of `isStoreUnavailable`: unavailable.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable } from './unavailable.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('isStoreUnavailable: a call past its deadline', () => {
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
