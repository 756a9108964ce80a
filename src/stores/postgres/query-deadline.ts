import type { PoolClient } from 'pg';
import { isThenable } from '../../core/promises.js';

/** What `pg` rejects a query with when `query_timeout` passes without an answer. */
const READ_TIMEOUT = 'Query read timeout';

/**
 * Makes `client` close its connection when one of its queries gets no answer within the pool's
 * `query_timeout`. On its own, `pg` only fails the query (pg 8 `Client#query`): the connection
 * stays open with the query still in flight, every query sent after it waits behind it, and a pool
 * user that releases it without an error (Kysely always does) puts it back in the pool. A server
 * that froze, or a network that drops packets, would then hold every connection it touches, and
 * fail every request that draws one, for as long as it lasts.
 *
 * Closing through `end()` destroys the socket at once while a query is in flight (pg 8.23 `Client#end`):
 * whatever else is sent on the client fails at once ("Client was closed and is not queryable"), and
 * the pool drops the client when it comes back (`_ending`), whoever returns it. The statement may
 * still run on the server if its bytes got there: a client-side timeout cannot take them back.
 *
 * Called for every new connection of the pool (its `connect` event); covers queries with a callback
 * (`pg.Pool#query`) and promise queries (Kysely, checked-out clients).
 */
export function closeOnQueryTimeout(client: PoolClient): void {
  observeQueryErrors(client, (error) => {
    if (error instanceof Error && error.message === READ_TIMEOUT) client.end().catch(() => undefined);
  });
}

/**
 * Calls `observe` with every error a query on `client` fails with, before its caller sees it:
 * queries with a callback (`pg.Pool#query`, run on a pooled client) and promise queries (Kysely,
 * checked-out clients) alike. Neither the query nor its outcome is changed.
 */
export function observeQueryErrors(client: PoolClient, observe: (error: unknown) => void): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]): unknown => {
    const last = args.length - 1;
    const callback = args[last];
    if (last > 0 && typeof callback === 'function') {
      // Observed before the callback runs: a pool releasing the client from it sees its effect.
      args[last] = (error: unknown, result: unknown) => {
        if (error) observe(error);
        (callback as (error: unknown, result: unknown) => void)(error, result);
      };
      return query(...args);
    }
    const result = query(...args);
    // Observes the rejection without handling it for the caller, who still gets it.
    if (isThenable(result)) result.then(undefined, observe);
    return result;
  };
}
