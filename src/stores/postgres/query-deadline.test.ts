/**
 * `closeOnQueryTimeout` on a stand-in for a `pg` client: which failures close the connection, in
 * both ways a query is sent. Against a frozen PostgreSQL: test/stores-deadlines.test.ts.
 */
import type { PoolClient } from 'pg';
import { describe, expect, it } from 'vitest';
import { closeOnQueryTimeout } from './query-deadline.js';

type Callback = (error: Error | null, result?: unknown) => void;

/** A client whose every query fails with `failure` (or succeeds without one); counts `end()`. */
function fakeClient(failure: Error | undefined) {
  const client = {
    ended: 0,
    end() {
      client.ended += 1;
      return Promise.resolve();
    },
    query(...args: unknown[]): unknown {
      const callback = args.at(-1);
      if (typeof callback === 'function') {
        queueMicrotask(() => (callback as Callback)(failure ?? null, failure ? undefined : { rows: [] }));
        return undefined;
      }
      return failure ? Promise.reject(failure) : Promise.resolve({ rows: [] });
    },
  };
  closeOnQueryTimeout(client as unknown as PoolClient);
  return client;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('closeOnQueryTimeout', () => {
  it('closes the connection of a query that timed out, and the caller still gets the error (promise)', async () => {
    const client = fakeClient(new Error('Query read timeout'));
    await expect(client.query('select 1')).rejects.toThrow('Query read timeout');
    await settle();
    expect(client.ended).toBe(1);
  });

  it('closes it before the callback runs, where a pool releases the client (callback)', async () => {
    const client = fakeClient(new Error('Query read timeout'));
    const endedWhenCalledBack = await new Promise<number>((resolve) => {
      client.query('select 1', [], () => resolve(client.ended));
    });
    expect(endedWhenCalledBack).toBe(1);
  });

  it.each([
    [
      'a statement timeout (the server cancelled it; the connection is fine)',
      Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
    ],
    ['a constraint violation', Object.assign(new Error('duplicate key value'), { code: '23505' })],
  ])('keeps the connection after %s', async (_case, failure) => {
    const client = fakeClient(failure);
    await expect(client.query('select 1')).rejects.toBe(failure);
    await new Promise<void>((resolve) => client.query('select 1', [], () => resolve()));
    await settle();
    expect(client.ended).toBe(0);
  });

  it('keeps it after a success', async () => {
    const client = fakeClient(undefined);
    await client.query('select 1');
    expect(client.ended).toBe(0);
  });
});
