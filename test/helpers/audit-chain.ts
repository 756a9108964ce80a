/** Audit appends racing across stores over one database (SQLite file, PostgreSQL schema). */
import { expect } from 'vitest';
import type { Store } from '../../src/stores/contract.js';
import { makeAuditEvent } from './records.js';

const chain = (prevHash: string, seq: number) => `${seq}:${prevHash.slice(0, 20)}`;

/**
 * `calls` appends issued at once, alternately through `first` and `second`: every `batchEvery`-th
 * a batch of 5 (`appendMany`), the others single events. They must make one gapless chain (seqs 1
 * to n, each event chained to the one before), each call getting back what was stored, and each
 * batch whole (consecutive seqs).
 */
export async function expectOneChainFromTwoStores(first: Store, second: Store, { calls, batchEvery }: { calls: number; batchEvery: number }): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: calls }, (_, i) => {
      const store = i % 2 === 0 ? first : second;
      if (i % batchEvery !== 0) return store.audit.append(makeAuditEvent({ requestId: `req-${i}` }), chain).then((event) => [event]);
      return store.audit.appendMany(
        Array.from({ length: 5 }, (_, j) => makeAuditEvent({ requestId: `batch-${i}-${j}` })),
        chain,
      );
    }),
  );
  const batches = Math.ceil(calls / batchEvery);
  const events = await second.audit.list();
  expect(events.map((event) => event.seq)).toEqual(Array.from({ length: calls - batches + 5 * batches }, (_, i) => i + 1));
  events.forEach((event, i) => {
    expect(event.prevHash).toBe(i === 0 ? '' : events[i - 1]!.hash);
    expect(event.hash).toBe(chain(event.prevHash, event.seq));
  });
  expect(results.flat().sort((a, b) => a.seq - b.seq)).toEqual(events);
  for (const batch of results.filter((result) => result.length > 1)) {
    expect(batch.map((event) => event.seq - batch[0]!.seq)).toEqual([0, 1, 2, 3, 4]);
  }
}
