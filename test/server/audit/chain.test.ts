import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { SecretKeys } from '../../../src/core/secret.js';
import { createAuditLog } from '../../../src/server/audit/audit-log.js';
import {
  auditHash,
  auditHasher,
  canonicalAuditEncoding,
  readAuditLog,
  verifyAuditLog,
  verifyChain,
  type UnhashedAuditEvent,
} from '../../../src/server/audit/chain.js';
import type { AuditEventRecord, Store } from '../../../src/stores/contract.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { createSqlStore, type Database } from '../../../src/stores/sql/index.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';

const keys = new SecretKeys('audit-test-secret-'.padEnd(48, 'x'));

function unhashed(overrides: Partial<UnhashedAuditEvent> = {}): UnhashedAuditEvent {
  return {
    seq: 1,
    prevHash: '',
    time: T0,
    type: 'login',
    outcome: 'success',
    requestId: 'req-1',
    clientId: 'client-1',
    subject: 'user-1',
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0',
    details: { method: 'password' },
    ...overrides,
  };
}

/** Five recorded events, through the real audit log. */
async function recordFive(store: Store, clock = new FakeClock(T0)): Promise<void> {
  const audit = createAuditLog({ store, secretKeys: keys, logger: silentLogger(), clock });
  const subjects = ['alice', 'bob', 'carol', 'dave', 'erin'];
  for (const [i, subject] of subjects.entries()) {
    clock.advance(1000);
    await audit.record(
      { type: i % 2 === 0 ? 'login' : 'token.issued', outcome: 'success', clientId: 'client-1', subject, details: { n: i } },
      { requestId: `req-${i + 1}`, ip: '203.0.113.7', userAgent: 'test' },
    );
  }
}

describe('auditHash', () => {
  it('is a base64url HMAC-SHA256 that depends on the key, prevHash and every field', () => {
    const base = auditHash(keys, unhashed());
    expect(base).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(auditHash(keys, unhashed())).toBe(base);
    expect(auditHash(new SecretKeys('another-secret-'.padEnd(48, 'y')), unhashed())).not.toBe(base);
    const changes: Partial<UnhashedAuditEvent>[] = [
      { seq: 2 },
      { prevHash: 'x' },
      { time: T0 + 1 },
      { type: 'logout' },
      { outcome: 'failure' },
      { requestId: null },
      { clientId: 'client-2' },
      { subject: 'mallory' },
      { ip: '198.51.100.1' },
      { userAgent: null },
      { details: { method: 'passkey' } },
      { details: { method: 'password', extra: null } },
    ];
    for (const change of changes) expect(auditHash(keys, unhashed(change)), JSON.stringify(change)).not.toBe(base);
  });

  it('does not depend on the order of keys in details, at any depth', () => {
    const a = unhashed({ details: { a: 1, b: { c: [1, { d: 2, e: 3 }], f: 'g' } } });
    const b = unhashed({ details: { b: { f: 'g', c: [1, { e: 3, d: 2 }] }, a: 1 } });
    expect(canonicalAuditEncoding(a)).toBe(canonicalAuditEncoding(b));
    expect(auditHash(keys, a)).toBe(auditHash(keys, b));
  });

  it('encodes events byte for byte as chains already stored were hashed (known answers)', () => {
    // Computed by the first implementation (an object with every field, canonicalised by sorting
    // its keys): any change here breaks every stored chain.
    const event = unhashed({
      seq: 7,
      prevHash: 'hL9TCNSwZfwWUMUAzhsdEt7kKswzza-oCtaAYjw-fGA',
      time: 1795341607647,
      type: 'token.issued',
      subject: null,
      details: {
        scope: 'api:read',
        grant_type: 'client_credentials',
        n: 1.5,
        list: [1, null, { b: 'ü 🚀', a: false }],
        nested: { z: '"quoted"\n', a: { y: [], x: {} } },
      },
    });
    expect(canonicalAuditEncoding(event)).toBe(
      '{"clientId":"client-1","details":{"grant_type":"client_credentials","list":[1,null,{"a":false,"b":"ü 🚀"}],"n":1.5,"nested":{"a":{"x":{},"y":[]},"z":"\\"quoted\\"\\n"},"scope":"api:read"},"ip":"203.0.113.7","outcome":"success","prevHash":"hL9TCNSwZfwWUMUAzhsdEt7kKswzza-oCtaAYjw-fGA","requestId":"req-1","seq":7,"subject":null,"time":1795341607647,"type":"token.issued","userAgent":"Mozilla/5.0","v":"gatehouse-audit/v1"}',
    );
    // A member whose value is undefined is left out, at the top and inside details.
    expect(
      canonicalAuditEncoding({
        ...event,
        requestId: undefined as unknown as null,
        details: { kept: 1, gone: undefined } as unknown as UnhashedAuditEvent['details'],
      }),
    ).toBe(
      '{"clientId":"client-1","details":{"kept":1},"ip":"203.0.113.7","outcome":"success","prevHash":"hL9TCNSwZfwWUMUAzhsdEt7kKswzza-oCtaAYjw-fGA","seq":7,"subject":null,"time":1795341607647,"type":"token.issued","userAgent":"Mozilla/5.0","v":"gatehouse-audit/v1"}',
    );
    expect(canonicalAuditEncoding({ ...event, seq: 1, prevHash: '', details: {} })).toBe(
      '{"clientId":"client-1","details":{},"ip":"203.0.113.7","outcome":"success","prevHash":"","requestId":"req-1","seq":1,"subject":null,"time":1795341607647,"type":"token.issued","userAgent":"Mozilla/5.0","v":"gatehouse-audit/v1"}',
    );
  });

  it('keeps a null field apart from a missing or empty one', () => {
    expect(auditHash(keys, unhashed({ subject: null }))).not.toBe(auditHash(keys, unhashed({ subject: '' })));
    expect(auditHash(keys, unhashed({ subject: 'null' }))).not.toBe(auditHash(keys, unhashed({ subject: null })));
  });
});

describe('verifyChain', () => {
  const hashFn = auditHasher(keys);

  /** A valid chain of `n` events. */
  function chainOf(n: number): AuditEventRecord[] {
    const events: AuditEventRecord[] = [];
    for (let seq = 1; seq <= n; seq += 1) {
      const event = unhashed({ seq, prevHash: events.at(-1)?.hash ?? '', subject: `user-${seq}` });
      events.push({ ...event, hash: hashFn(event) });
    }
    return events;
  }

  it('passes an intact chain and an empty one', async () => {
    const events = chainOf(5);
    expect(await verifyChain(events, hashFn)).toEqual({ ok: true, count: 5, firstSeq: 1, lastSeq: 5, lastHash: events[4]!.hash });
    expect(await verifyChain([], hashFn)).toEqual({ ok: true, count: 0, firstSeq: 1, lastSeq: 0, lastHash: '' });
  });

  it('checks a log whose oldest events were dropped from where it is said to start, and says where that was', async () => {
    const events = chainOf(6);
    expect(await verifyChain(events.slice(3), hashFn, { seq: 4 })).toEqual({ ok: true, count: 3, firstSeq: 4, lastSeq: 6, lastHash: events[5]!.hash });
    // Not told: a log that starts at #4 lost its first events.
    expect(await verifyChain(events.slice(3), hashFn)).toMatchObject({ ok: false, seq: 1, problem: 'removed' });
    // Told #4, but it starts later: #4 is missing.
    expect(await verifyChain(events.slice(4), hashFn, { seq: 4 })).toMatchObject({
      ok: false,
      seq: 4,
      problem: 'removed',
      message: 'event #4 is missing: the log starts at #5',
    });
    // Only the link of the first event is taken as given: the rest is checked as ever.
    const edited = events.slice(3);
    edited[0] = { ...edited[0]!, subject: 'mallory' };
    expect(await verifyChain(edited, hashFn, { seq: 4 })).toMatchObject({ ok: false, seq: 4, problem: 'edited' });
    const other = unhashed({ seq: 5, prevHash: 'elsewhere' });
    expect(await verifyChain([events[3]!, { ...other, hash: hashFn(other) }, events[5]!], hashFn, { seq: 4 })).toMatchObject({
      ok: false,
      seq: 5,
      problem: 'removed',
      message: 'event #5 is not chained to event #4: the event it followed was removed or replaced',
    });
  });

  it('names an edited event', async () => {
    const events = chainOf(5);
    events[2] = { ...events[2]!, subject: 'mallory' };
    expect(await verifyChain(events, hashFn)).toMatchObject({ ok: false, seq: 3, problem: 'edited', count: 2 });
  });

  it('names an edit that recomputed the hash without the secret', async () => {
    const events = chainOf(5);
    const forged = { ...events[2]!, subject: 'mallory' };
    events[2] = { ...forged, hash: auditHash(new SecretKeys('guessed-secret-'.padEnd(48, 'z')), forged) };
    expect(await verifyChain(events, hashFn)).toMatchObject({ ok: false, seq: 3, problem: 'edited' });
  });

  it('names the first missing event', async () => {
    const events = chainOf(5);
    const result = await verifyChain([...events.slice(0, 2), ...events.slice(3)], hashFn);
    expect(result).toEqual({ ok: false, seq: 3, problem: 'removed', count: 2, message: 'event #3 is missing: #2 is followed by #4' });
    expect(await verifyChain(events.slice(1), hashFn)).toMatchObject({
      ok: false,
      seq: 1,
      problem: 'removed',
      message: 'event #1 is missing: the log starts at #2',
    });
    expect(await verifyChain([events[0]!, events[4]!], hashFn)).toMatchObject({
      seq: 2,
      message: 'events #2 to #4 are missing: #1 is followed by #5',
    });
  });

  it('names a removal that renumbered the rest', async () => {
    const events = chainOf(5);
    // #4 and #5 moved down to fill the gap: their hashes no longer hold for their new numbers.
    const renumbered = [...events.slice(0, 2), { ...events[3]!, seq: 3 }, { ...events[4]!, seq: 4 }];
    expect(await verifyChain(renumbered, hashFn)).toMatchObject({ ok: false, seq: 3, problem: 'reordered' });
  });

  it('names a genuine event chained to something other than the event before it', async () => {
    const events = chainOf(5);
    // Event #3 replaced by a validly hashed #3 from another chain (e.g. a second installation with the same secret).
    const other = unhashed({ seq: 3, prevHash: 'elsewhere', subject: 'mallory' });
    events[2] = { ...other, hash: hashFn(other) };
    expect(await verifyChain(events, hashFn)).toMatchObject({ ok: false, seq: 3, problem: 'removed' });
  });

  it('names events that were swapped', async () => {
    const events = chainOf(5);
    // Every field but the number swapped: the rows of #3 and #4 traded places.
    const swapped = [events[0]!, events[1]!, { ...events[3]!, seq: 3 }, { ...events[2]!, seq: 4 }, events[4]!];
    expect(await verifyChain(swapped, hashFn)).toEqual({
      ok: false,
      seq: 3,
      problem: 'reordered',
      count: 2,
      message: 'event #3 holds the event recorded as #4',
    });
  });

  it('names an event that comes out of sequence order', async () => {
    const events = chainOf(5);
    expect(await verifyChain([events[0]!, events[1]!, events[1]!], hashFn)).toMatchObject({ ok: false, seq: 2, problem: 'reordered' });
  });

  it('fails every event with the wrong key', async () => {
    expect(await verifyChain(chainOf(3), auditHasher(new SecretKeys('not-the-secret-'.padEnd(48, 'q'))))).toMatchObject({
      ok: false,
      seq: 1,
      problem: 'edited',
    });
  });
});

describe('verifyAuditLog over a stored log', () => {
  it('passes what createAuditLog recorded, in memory', async () => {
    const store = createMemoryStore();
    await recordFive(store);
    expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: true, count: 5, lastSeq: 5 });
  });

  it('reads the log a page at a time', async () => {
    const store = createMemoryStore();
    await recordFive(store);
    const pages: number[] = [];
    const paged = {
      list: async (options?: { afterSeq?: number; limit?: number }) => {
        pages.push(options?.afterSeq ?? 0);
        return store.audit.list(options);
      },
    };
    expect((await verifyAuditLog(paged, keys, 2)).ok).toBe(true);
    expect(pages).toEqual([0, 2, 4]);
    const seqs: number[] = [];
    for await (const event of readAuditLog(store.audit, 5)) seqs.push(event.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
  });

  it('verifies a memory store that dropped its oldest events from the oldest kept, saying where it started', async () => {
    const store = createMemoryStore({ maxAuditEvents: 3 });
    await recordFive(store);
    expect(await store.audit.droppedThrough!()).toBe(2);
    expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: true, count: 3, firstSeq: 3, lastSeq: 5 });
    // Whatever page size: the start is where the store says it is.
    expect(await verifyAuditLog(store.audit, keys, 1)).toMatchObject({ ok: true, count: 3, firstSeq: 3 });
  });

  /** A store that keeps the newest events of `events`, dropping through `dropped()` as a memory store would. */
  function truncating(events: AuditEventRecord[], dropped: () => number) {
    return {
      droppedThrough: async () => dropped(),
      list: async ({ afterSeq = 0, limit = 1000 }: { afterSeq?: number; limit?: number } = {}) =>
        events.filter((event) => event.seq > Math.max(afterSeq, dropped())).slice(0, limit),
    };
  }

  it('still names an event missing after the oldest kept one', async () => {
    const store = createMemoryStore({ maxAuditEvents: Number.POSITIVE_INFINITY });
    await recordFive(store);
    const events = (await store.audit.list()).filter((event) => event.seq !== 4);
    expect(
      await verifyAuditLog(
        truncating(events, () => 1),
        keys,
      ),
    ).toMatchObject({ ok: false, seq: 4, problem: 'removed', count: 2 });
  });

  it('starts again when the store drops events the check has not read yet, rather than report them removed', async () => {
    const store = createMemoryStore({ maxAuditEvents: Number.POSITIVE_INFINITY });
    await recordFive(store);
    const events = await store.audit.list();
    // After the first page (events 1 and 2), the store drops through #3.
    let reads = 0;
    const repository = truncating(events, () => (reads > 1 ? 3 : 0));
    const counted = { ...repository, list: (options?: { afterSeq?: number; limit?: number }) => ((reads += 1), repository.list(options)) };
    expect(await verifyAuditLog(counted, keys, 2)).toMatchObject({ ok: true, firstSeq: 4, count: 2, lastSeq: 5 });
    // One that never stops dropping ahead of the reader is not passed off as tampered with.
    await recordFive(store, new FakeClock(T0 + 60_000));
    await recordFive(store, new FakeClock(T0 + 120_000));
    let through = 0;
    const racing = truncating(await store.audit.list(), () => through);
    const runaway = {
      ...racing,
      list: async (options?: { afterSeq?: number; limit?: number }) => ((through = (options?.afterSeq ?? through) + 1), racing.list(options)),
    };
    await expect(verifyAuditLog(runaway, keys, 1)).rejects.toThrow(/dropped its oldest events faster than they could be read/);
  });

  describe('in SQLite, tampered with by plain SQL', () => {
    let raw: BetterSqlite3.Database;
    let store: Store;

    beforeEach(async () => {
      raw = new BetterSqlite3(':memory:');
      store = createSqlStore(new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) }), { dialect: 'sqlite' });
      await store.migrate();
      await recordFive(store);
    });

    afterEach(async () => {
      await store.close();
    });

    it('passes while untouched', async () => {
      expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: true, count: 5 });
    });

    it.each([
      ["subject = 'mallory'"],
      ["type = 'logout'"],
      ["outcome = 'failure'"],
      ['time = time + 1'],
      ['ip = NULL'],
      ["user_agent = 'curl'"],
      ['request_id = NULL'],
      ["client_id = 'client-2'"],
      [`details = '{"n":99}'`],
      ["prev_hash = 'AAAA'"],
      ["hash = 'AAAA'"],
    ])('names event #3 as edited after SET %s', async (change) => {
      raw.exec(`UPDATE audit_events SET ${change} WHERE seq = 3`);
      expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: false, seq: 3, problem: 'edited', count: 2 });
    });

    it('accepts details whose JSON the database re-spaced or re-ordered', async () => {
      const { details } = raw.prepare('SELECT details FROM audit_events WHERE seq = 3').get() as { details: string };
      raw.prepare('UPDATE audit_events SET details = ? WHERE seq = 3').run(` ${JSON.stringify(JSON.parse(details), null, 2)} `);
      expect((await verifyAuditLog(store.audit, keys)).ok).toBe(true);
    });

    it('names a deleted event, also across a page boundary', async () => {
      raw.exec('DELETE FROM audit_events WHERE seq = 3');
      expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: false, seq: 3, problem: 'removed', count: 2 });
      expect(await verifyAuditLog(store.audit, keys, 2)).toMatchObject({ ok: false, seq: 3, problem: 'removed' });
    });

    it('names the first event when it was deleted', async () => {
      raw.exec('DELETE FROM audit_events WHERE seq = 1');
      expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: false, seq: 1, problem: 'removed' });
    });

    it('names a deletion that renumbered the later events', async () => {
      raw.exec('DELETE FROM audit_events WHERE seq = 3');
      raw.exec('UPDATE audit_events SET seq = seq - 1 WHERE seq > 3');
      expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: false, seq: 3, problem: 'reordered' });
    });

    it('names two swapped events as reordered', async () => {
      raw.exec('UPDATE audit_events SET seq = -3 WHERE seq = 3');
      raw.exec('UPDATE audit_events SET seq = 3 WHERE seq = 4');
      raw.exec('UPDATE audit_events SET seq = 4 WHERE seq = -3');
      expect(await verifyAuditLog(store.audit, keys)).toEqual({
        ok: false,
        seq: 3,
        problem: 'reordered',
        count: 2,
        message: 'event #3 holds the event recorded as #4',
      });
    });

    it('cannot tell a removed newest event from the chain alone, but the last hash changes', async () => {
      const before = await verifyAuditLog(store.audit, keys);
      raw.exec('DELETE FROM audit_events WHERE seq = 5');
      const after = await verifyAuditLog(store.audit, keys);
      expect(after).toMatchObject({ ok: true, count: 4, lastSeq: 4 });
      expect(before.ok && after.ok && before.lastHash !== after.lastHash).toBe(true);
    });

    it('keeps appending to the chain after a verification', async () => {
      await recordFive(store, new FakeClock(T0 + 60_000));
      expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: true, count: 10 });
    });
  });
});
