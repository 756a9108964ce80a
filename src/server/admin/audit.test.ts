import { describe, expect, it } from 'vitest';
import { makeAuditEvent, makeUser } from '../../stores/contract-suite/records.js';
import { createMemoryStore } from '../../stores/memory/index.js';
import { activity, auditSubjectOf, auditVerificationJson, readAuditSearch, searchAuditEvents } from './audit.js';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const MINUTE = 60_000;
const chain = (prevHash: string, seq: number) => `${seq}:${prevHash.slice(0, 8)}`;

describe('activity', () => {
  it('counts each series per bucket of the range ending now, oldest first, zeros filled, other types left out', async () => {
    const store = createMemoryStore();
    const at = (type: string, minutesAgo: number) => makeAuditEvent({ type, time: NOW - minutesAgo * MINUTE });
    await store.audit.appendMany(
      [
        at('login.succeeded', 59),
        at('upstream.signed_in', 58),
        at('login.failed', 31),
        at('mfa.failed', 30),
        at('upstream.validation_failed', 29),
        at('mfa.challenge', 3),
        at('token.issued', 1),
        at('token.issued', 0.001),
        at('rate_limit.hit', 4.9),
        at('logout', 2),
        // Outside the hour: before it, and at `now` itself (the range ends before it).
        at('login.succeeded', 61),
        at('token.issued', 0),
      ],
      chain,
    );
    const hour = await activity(store, NOW, 'hour');
    expect(hour).toMatchObject({ range: 'hour', from: NOW - 60 * MINUTE, to: NOW, bucketMs: 5 * MINUTE });
    const counts = Object.fromEntries(hour.series.map((series) => [series.key, series.counts]));
    expect(counts).toEqual({
      signIns: [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      failures: [0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0],
      mfaChallenges: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
      tokensIssued: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
      rateLimitHits: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    });
    expect(hour.series.map((series) => series.label)).toEqual(['Sign-ins', 'Failed sign-ins', 'MFA challenges', 'Tokens issued', 'Rate-limit hits']);
  });

  it('cuts a day into 24 hours and a week into 7 days', async () => {
    const store = createMemoryStore();
    await store.audit.appendMany([makeAuditEvent({ type: 'token.issued', time: NOW - 90 * MINUTE })], chain);
    const day = await activity(store, NOW, 'day');
    expect(day.bucketMs).toBe(60 * MINUTE);
    expect(day.series.find((series) => series.key === 'tokensIssued')!.counts).toEqual([...new Array<number>(22).fill(0), 1, 0]);
    const week = await activity(store, NOW, 'week');
    expect(week).toMatchObject({ from: NOW - 7 * 24 * 60 * MINUTE, bucketMs: 24 * 60 * MINUTE });
    expect(week.series.find((series) => series.key === 'tokensIssued')!.counts).toEqual([0, 0, 0, 0, 0, 0, 1]);
  });
});

describe('searchAuditEvents', () => {
  it('pages newest first with a cursor, and gives none after the last page, even a full one', async () => {
    const store = createMemoryStore();
    await store.audit.appendMany(
      Array.from({ length: 6 }, (_, i) => makeAuditEvent({ type: i % 2 === 0 ? 'login.failed' : 'token.issued', time: NOW + i })),
      chain,
    );
    const first = await searchAuditEvents(store, { types: ['login.failed'], limit: 2 });
    expect(first.events.map((event) => event.seq)).toEqual([5, 3]);
    expect(first.nextBefore).toBe(3);
    const second = await searchAuditEvents(store, { types: ['login.failed'], before: first.nextBefore, limit: 2 });
    expect(second.events.map((event) => event.seq)).toEqual([1]);
    expect(second.nextBefore).toBeUndefined();
    const exact = await searchAuditEvents(store, { limit: 6 });
    expect(exact.events).toHaveLength(6);
    expect(exact.nextBefore).toBeUndefined();
    expect((await searchAuditEvents(store, { from: NOW + 1, to: NOW + 3, outcome: 'success', limit: 10 })).events.map((event) => event.seq)).toEqual([3, 2]);
  });

  it('pages back up with newerAfter, and reaching the newest events gives the first page, as full as any other', async () => {
    const store = createMemoryStore();
    await store.audit.appendMany(
      Array.from({ length: 7 }, (_, i) => makeAuditEvent({ time: NOW + i })),
      chain,
    );
    const seqs = (page: { events: { seq: number }[] }) => page.events.map((event) => event.seq);
    const first = await searchAuditEvents(store, { limit: 2 });
    expect(first).toMatchObject({ nextBefore: 6, newerAfter: undefined });
    const third = await searchAuditEvents(store, { before: 4, limit: 2 });
    expect(seqs(third)).toEqual([3, 2]);
    expect(third).toMatchObject({ nextBefore: 2, newerAfter: 3 });
    const second = await searchAuditEvents(store, { after: third.newerAfter, limit: 2 });
    expect(seqs(second)).toEqual([5, 4]);
    expect(second).toMatchObject({ nextBefore: 4, newerAfter: 5 });
    const top = await searchAuditEvents(store, { after: second.newerAfter, limit: 2 });
    expect(top).toEqual(first);
  });
});

describe('auditSubjectOf', () => {
  it('finds the sub by sub, username or email, and takes anything else as a sub', async () => {
    const store = createMemoryStore();
    const user = makeUser();
    await store.users.create(user);
    for (const login of [user.id, user.username, user.email!]) expect(await auditSubjectOf(store, login)).toBe(user.id);
    expect(await auditSubjectOf(store, 'removed-user-sub')).toBe('removed-user-sub');
  });
});

describe('auditVerificationJson', () => {
  it('is the shape of gatehouse audit verify --json', () => {
    expect(auditVerificationJson({ ok: true, count: 2, firstSeq: 1, lastSeq: 2, lastHash: 'h' })).toEqual({ ok: true, count: 2, last_seq: 2, last_hash: 'h' });
    expect(auditVerificationJson({ ok: false, count: 1, seq: 2, problem: 'edited', message: 'm' })).toEqual({
      ok: false,
      count: 1,
      seq: 2,
      problem: 'edited',
      message: 'm',
    });
  });
});

describe('readAuditSearch', () => {
  const limits = { defaultLimit: 100, maxLimit: 500 };

  it('reads every parameter into a search, with the default limit', () => {
    expect(
      readAuditSearch(
        {
          from: '2026-01-10T12:00:00Z',
          to: '2026-01-10T14:00:00+01:00',
          types: ['login.failed', 'login.failed', 'mfa.failed'],
          user: 'alice',
          client: 'app',
          address: '2001:db8::1',
          outcome: 'failure',
          before: '42',
        },
        limits,
      ),
    ).toEqual({
      ok: true,
      user: 'alice',
      search: {
        from: NOW,
        to: NOW + 60 * MINUTE,
        types: ['login.failed', 'mfa.failed'],
        clientId: 'app',
        ip: '2001:db8::1',
        outcome: 'failure',
        before: 42,
        limit: 100,
      },
    });
    expect(readAuditSearch({}, limits)).toEqual({ ok: true, user: undefined, search: { limit: 100 } });
  });

  it.each([
    [{ from: 'yesterday' }, 'from'],
    [{ from: '2026-01-10' }, 'from'],
    [{ to: '2026-02-30T00:00:00' }, 'to'],
    [{ from: '2026-01-10T12:00:00Z', to: '2026-01-10T12:00:00Z' }, 'to'],
    [{ types: ['login failed'] }, 'types'],
    [{ types: Array.from({ length: 51 }, (_, i) => `t${i}`) }, 'types'],
    [{ user: '' }, 'user'],
    [{ client: 'x'.repeat(201) }, 'client'],
    [{ address: '203.0.113' }, 'address'],
    [{ outcome: 'maybe' }, 'outcome'],
    [{ before: '0' }, 'before'],
    [{ before: '-1' }, 'before'],
    [{ limit: '501' }, 'limit'],
    [{ limit: '1.5' }, 'limit'],
  ] as const)('refuses %j naming %s, never repeating the value', (params, field) => {
    const read = readAuditSearch(params, limits);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.problems.map((problem) => problem.field)).toEqual([field]);
    for (const value of Object.values(params as Record<string, string | string[]>).flat())
      if (value.length > 2) expect(read.problems[0]!.message).not.toContain(value);
  });

  it('names every parameter at fault at once', () => {
    const read = readAuditSearch({ from: 'x', address: 'y', limit: '0' }, limits);
    expect(read.ok ? [] : read.problems.map((problem) => problem.field)).toEqual(['from', 'address', 'limit']);
  });
});
