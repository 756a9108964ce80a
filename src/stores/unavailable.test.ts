/**
 * Which errors mean "the store cannot be reached right now" (503, retried) and which do not: a bug,
 * a bad query, and a client that broke off its request are never a store outage.
 */
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable } from './unavailable.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });
/** What the server's `readBody` raises when the client's connection resets mid-body. */
const clientAbort = (cause: unknown) => Object.assign(new Error('the client broke off the request', { cause }), { code: 'ERR_CLIENT_ABORTED' });

describe('isStoreUnavailable', () => {
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
    { case: 'Redis Cluster: redirected too often', error: new Error('Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down') },
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
