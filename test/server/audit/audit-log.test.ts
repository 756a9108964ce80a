import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REDACTED_PATHS } from '../../../src/core/logger.js';
import { SecretKeys } from '../../../src/core/secret.js';
import { createAuditLog, InvalidAuditEventError, type AuditLogOptions } from '../../../src/server/audit/audit-log.js';
import { createMetrics } from '../../../src/server/observability/metrics.js';
import { verifyAuditLog } from '../../../src/server/audit/chain.js';
import { isSecretKey, looksLikeToken, redactDetails } from '../../../src/server/audit/redact.js';
import type { AuditRepository, NewAuditEvent, Store } from '../../../src/stores/contract.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { createSqliteStore } from '../../../src/stores/sqlite/index.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';

const keys = new SecretKeys('audit-log-test-secret-'.padEnd(48, 'x'));

/** A signed-looking JWT and a 256-bit random token, as a careless caller might pass them. */
const JWT = 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImtleS0xIn0.eyJzdWIiOiJ1c2VyLTEiLCJhdWQiOiJjbGllbnQtMSJ9.MEUCIQDx1Nq2sJ3kRm8yYl5rW0-aLpQ_w9vZb7TcU4gHnE2FfA';
const RANDOM_TOKEN = 'q8R2vXk9Lm4NpZ7sTb1WcY6dHf3JgA0eUo5iKr_-Qw8';
const PASSWORD = 'correct horse battery staple';
const CLIENT_SECRET = 'cs-7f3a9b2c-not-so-random';
const CODE = 'SplxlOBeZQQYbYS6WxSbIA';
const SECRETS = [JWT, RANDOM_TOKEN, PASSWORD, CLIENT_SECRET, CODE, '493027'];

/** A pino logger whose JSON lines are collected. */
function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((line) => line !== ''),
      );
      callback();
    },
  });
  // As the server's own logger is set up, redaction paths included.
  const logger = pino({ base: { service: 'gatehouse' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream);
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('createAuditLog', () => {
  let dir: string;
  let clock: FakeClock;
  let store: Store;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-audit-'));
    clock = new FakeClock(T0);
    store = createMemoryStore({ clock });
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function auditLog(overrides: Partial<AuditLogOptions> = {}) {
    const capture = capturingLogger();
    const audit = createAuditLog({ store, secretKeys: keys, logger: capture.logger, clock, ...overrides });
    return { audit, ...capture };
  }

  it('stores a chained event with the time, the context and the outcome', async () => {
    const { audit } = auditLog();
    const first = await audit.record(
      { type: 'login', outcome: 'failure', clientId: 'client-1', subject: 'alice', details: { reason: 'bad_password' } },
      { requestId: 'req-1', ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
    );
    clock.advance(5);
    const second = await audit.record({ type: 'login', outcome: 'success', subject: 'alice' });
    expect(first).toEqual({
      seq: 1,
      time: T0,
      type: 'login',
      outcome: 'failure',
      requestId: 'req-1',
      clientId: 'client-1',
      subject: 'alice',
      ip: '203.0.113.7',
      userAgent: 'Mozilla/5.0',
      details: { reason: 'bad_password' },
      prevHash: '',
      hash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    // Outside a request and with no context passed: no request fields.
    expect(second).toMatchObject({ seq: 2, time: T0 + 5, requestId: null, ip: null, userAgent: null, clientId: null, details: {}, prevHash: first.hash });
    expect(await store.audit.list()).toEqual([first, second]);
    expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: true, count: 2 });
  });

  it('records the request a log was made for (forRequest), also for queued events; an explicit context wins', async () => {
    const { audit } = auditLog();
    const context = { requestId: 'req-42', ip: '198.51.100.9', userAgent: 'curl/8.0' };
    const forRequest = audit.forRequest(context);
    const stored = await forRequest.record({ type: 'token.issued', outcome: 'success', clientId: 'client-1' });
    expect(stored).toMatchObject(context);
    forRequest.recordLater({ type: 'token.issued', outcome: 'success' });
    await forRequest.flush();
    expect((await store.audit.tail(1))[0]).toMatchObject(context);
    const explicit = await forRequest.record({ type: 'x', outcome: 'success' }, { requestId: 'other' });
    expect(explicit).toMatchObject({ requestId: 'other', ip: null, userAgent: null });
    // The log itself (the CLI's) records no request.
    expect(await audit.record({ type: 'cli.event', outcome: 'success' })).toMatchObject({ requestId: null, ip: null, userAgent: null });
  });

  it('keeps one unbroken chain under concurrent records', async () => {
    const { audit } = auditLog();
    await Promise.all(Array.from({ length: 25 }, (_, i) => audit.record({ type: 'token.issued', outcome: 'success', details: { i } })));
    expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: true, count: 25 });
  });

  it('writes one JSON line per event to the logger, with audit: true', async () => {
    const { audit, parsed } = auditLog();
    const stored = await audit.record(
      { type: 'client.created', outcome: 'success', clientId: 'client-1', subject: 'admin', details: { scope: 'openid' } },
      { requestId: 'req-1', ip: '203.0.113.7', userAgent: 'ua' },
    );
    expect(parsed()).toEqual([
      expect.objectContaining({
        level: 30,
        service: 'gatehouse',
        audit: true,
        msg: 'audit client.created success',
        seq: 1,
        event_time: new Date(T0).toISOString(),
        type: 'client.created',
        outcome: 'success',
        request_id: 'req-1',
        client_id: 'client-1',
        subject: 'admin',
        ip: '203.0.113.7',
        user_agent: 'ua',
        details: { scope: 'openid' },
        prev_hash: '',
        hash: stored.hash,
      }),
    ]);
  });

  it('appends one JSON line per event to the file, created owner-only (0600) in a new directory', async () => {
    const file = join(dir, 'logs', 'nested', 'audit.jsonl');
    const { audit } = auditLog({ file });
    const first = await audit.record({ type: 'login', outcome: 'success', subject: 'alice' });
    const second = await audit.record({ type: 'logout', outcome: 'success', subject: 'alice' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ seq: 1, time: new Date(T0).toISOString(), type: 'login', subject: 'alice', hash: first.hash, prev_hash: '' }),
      expect.objectContaining({ seq: 2, type: 'logout', hash: second.hash, prev_hash: first.hash }),
    ]);
  });

  it('tightens an existing file to 0600 and appends to it', async () => {
    const file = join(dir, 'audit.jsonl');
    writeFileSync(file, '{"earlier":true}\n');
    chmodSync(file, 0o644);
    const { audit } = auditLog({ file });
    await audit.record({ type: 'login', outcome: 'success' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(2);
  });

  it('logs a failing file sink instead of throwing, and still stores the event', async () => {
    const file = join(dir, 'a-directory');
    mkdirSync(file);
    const { audit, parsed } = auditLog({ file });
    const stored = await audit.record({ type: 'login', outcome: 'success' });
    expect(stored.seq).toBe(1);
    expect(await store.audit.list()).toHaveLength(1);
    expect(parsed()).toEqual(expect.arrayContaining([expect.objectContaining({ level: 50, msg: 'audit file sink failed', file })]));
  });

  it('throws when the database refuses the event, after writing it, unstored, to the logger and the file', async () => {
    const file = join(dir, 'audit.jsonl');
    const failing = { audit: { ...store.audit, append: () => Promise.reject(new Error('database is locked')) } };
    const { audit, parsed } = auditLog({ store: failing, file });
    await expect(audit.record({ type: 'login', outcome: 'failure', subject: 'alice' })).rejects.toThrow('database is locked');
    expect(parsed()).toEqual([expect.objectContaining({ level: 50, audit: true, stored: false, seq: null, type: 'login', subject: 'alice', hash: null })]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ seq: null, type: 'login', outcome: 'failure' });
  });

  it('rejects a malformed type or outcome before writing anything', async () => {
    const file = join(dir, 'audit.jsonl');
    const { audit, lines } = auditLog({ file });
    for (const event of [
      { type: '', outcome: 'success' },
      { type: 'has spaces', outcome: 'success' },
      { type: 'x'.repeat(101), outcome: 'success' },
      { type: 'login', outcome: 'maybe' },
    ]) {
      const error = await audit.record(event as never).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(InvalidAuditEventError);
      expect(error).toMatchObject({ code: 'ERR_INVALID_AUDIT_EVENT' });
    }
    expect(await store.audit.list()).toEqual([]);
    expect(lines).toEqual([]);
    expect(() => statSync(file)).toThrow();
  });

  it('stores text the database would mangle so that the chain still verifies (SQLite)', async () => {
    const sqlite = createSqliteStore({ filename: join(dir, 'gatehouse.db') });
    await sqlite.migrate();
    try {
      const { audit } = auditLog({ store: sqlite });
      const stored = await audit.record(
        { type: 'login', outcome: 'failure', subject: 'lone \uD800 surrogate and NUL \u0000', details: { note: 'lone \uDC00' } },
        { userAgent: 'A'.repeat(5000) },
      );
      expect(stored.subject).toBe('lone \uFFFD surrogate and NUL \uFFFD');
      expect(stored.userAgent).toHaveLength(512);
      expect(await sqlite.audit.list()).toEqual([stored]);
      expect(await verifyAuditLog(sqlite.audit, keys)).toMatchObject({ ok: true, count: 1 });
    } finally {
      await sqlite.close();
    }
  });

  describe('recordLater', () => {
    /**
     * The memory store's audit log, with every `appendMany` call recorded and held until the test
     * lets it through (`release`), or failed (`fail`).
     */
    function gatedAudit() {
      const batches: NewAuditEvent[][] = [];
      const gates: { release: () => void; fail: (error: Error) => void }[] = [];
      const audit: AuditRepository = {
        append: (event, chain) => store.audit.append(event, chain),
        list: (options) => store.audit.list(options),
        tail: (limit, type) => store.audit.tail(limit, type),
        query: (query) => store.audit.query(query),
        counts: (query) => store.audit.counts(query),
        appendMany: async (events, chain) => {
          batches.push([...events]);
          await new Promise<void>((resolve, reject) => gates.push({ release: resolve, fail: reject }));
          return store.audit.appendMany(events, chain);
        },
      };
      /** Resolves once `n` batches were handed to the store. */
      const batchesReach = async (n: number) => {
        while (batches.length < n) await new Promise((resolve) => setImmediate(resolve));
      };
      return { audit, batches, gates, batchesReach };
    }

    const issued = (i: number) => ({ type: 'token.issued', outcome: 'success' as const, clientId: `client-${i}` });

    it('writes the events of one run in one batch, in order, then logs them in that order', async () => {
      const { audit: gated, batches, gates, batchesReach } = gatedAudit();
      const file = join(dir, 'audit.jsonl');
      const { audit, parsed } = auditLog({ store: { audit: gated }, file });
      for (let i = 0; i < 5; i += 1) audit.recordLater(issued(i), { requestId: `req-${i}` });
      await batchesReach(1);
      expect(batches.map((batch) => batch.map((event) => event.requestId))).toEqual([['req-0', 'req-1', 'req-2', 'req-3', 'req-4']]);
      gates[0]!.release();
      await audit.flush();
      const stored = await store.audit.list();
      expect(stored.map((event) => [event.seq, event.requestId])).toEqual([0, 1, 2, 3, 4].map((i) => [i + 1, `req-${i}`]));
      expect(parsed().map((line) => [line.seq, line.request_id])).toEqual([0, 1, 2, 3, 4].map((i) => [i + 1, `req-${i}`]));
      expect(
        readFileSync(file, 'utf8')
          .trimEnd()
          .split('\n')
          .map((line) => (JSON.parse(line) as { seq: number }).seq),
      ).toEqual([1, 2, 3, 4, 5]);
      expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: true, count: 5 });
    });

    it('gathers what is recorded while a write is in flight into the next batch, after it in the chain', async () => {
      const { audit: gated, batches, gates, batchesReach } = gatedAudit();
      const { audit } = auditLog({ store: { audit: gated } });
      audit.recordLater(issued(0), { requestId: 'first' });
      await batchesReach(1);
      for (let i = 1; i <= 3; i += 1) {
        audit.recordLater(issued(i), { requestId: `during-${i}` });
        // Separate turns of the event loop: still one batch, as the first is not written yet.
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(batches).toHaveLength(1);
      gates[0]!.release();
      await batchesReach(2);
      expect(batches[1]!.map((event) => event.requestId)).toEqual(['during-1', 'during-2', 'during-3']);
      gates[1]!.release();
      await audit.flush();
      expect((await store.audit.list()).map((event) => event.requestId)).toEqual(['first', 'during-1', 'during-2', 'during-3']);
      expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: true, count: 4 });
    });

    it('writes a long queue in batches of at most 500, in order, and flush waits for all of them', async () => {
      const calls: number[] = [];
      const counting: AuditRepository = {
        append: (event, chain) => store.audit.append(event, chain),
        list: (options) => store.audit.list(options),
        tail: (limit, type) => store.audit.tail(limit, type),
        query: (query) => store.audit.query(query),
        counts: (query) => store.audit.counts(query),
        appendMany: (events, chain) => (calls.push(events.length), store.audit.appendMany(events, chain)),
      };
      const { audit } = auditLog({ store: { audit: counting } });
      for (let i = 0; i < 1203; i += 1) audit.recordLater(issued(i));
      await audit.flush();
      expect(calls).toEqual([500, 500, 203]);
      expect((await store.audit.list({ limit: 2000 })).map((event) => event.clientId)).toEqual(Array.from({ length: 1203 }, (_, i) => `client-${i}`));
      expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: true, count: 1203 });
    });

    it('logs a failed batch with each event unstored, to the logger and the file, and goes on with the next', async () => {
      const { audit: gated, gates, batchesReach } = gatedAudit();
      const file = join(dir, 'audit.jsonl');
      const { audit, parsed } = auditLog({ store: { audit: gated }, file });
      audit.recordLater(issued(1), { requestId: 'lost-1' });
      audit.recordLater(issued(2), { requestId: 'lost-2' });
      await batchesReach(1);
      audit.recordLater(issued(3), { requestId: 'kept' });
      gates[0]!.fail(new Error('database is locked'));
      await batchesReach(2);
      gates[1]!.release();
      await audit.flush();
      expect(parsed()).toEqual([
        expect.objectContaining({ level: 50, msg: 'audit write failed', events: 2, err: expect.objectContaining({ message: 'database is locked' }) }),
        expect.objectContaining({
          level: 50,
          audit: true,
          stored: false,
          seq: null,
          hash: null,
          request_id: 'lost-1',
          msg: 'audit token.issued success (not stored)',
        }),
        expect.objectContaining({ level: 50, audit: true, stored: false, seq: null, request_id: 'lost-2' }),
        expect.objectContaining({ level: 30, audit: true, seq: 1, request_id: 'kept' }),
      ]);
      const lines = readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.map((line) => [line.seq, line.request_id])).toEqual([
        [null, 'lost-1'],
        [null, 'lost-2'],
        [1, 'kept'],
      ]);
      expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: true, count: 1 });
    });

    it('holds at most maxQueuedEvents (the batch in flight included): the rest are logged unstored and counted, the chain stays whole', async () => {
      const { audit: gated, batches, gates, batchesReach } = gatedAudit();
      const metrics = createMetrics({ defaultMetrics: false });
      const file = join(dir, 'audit.jsonl');
      const { audit, parsed } = auditLog({ store: { audit: gated }, file, maxQueuedEvents: 3, metrics });
      audit.recordLater(issued(0), { requestId: 'queued-0' });
      await batchesReach(1);
      // One in flight, two more fit; the next two do not.
      for (const id of ['queued-1', 'queued-2', 'dropped-1', 'dropped-2']) audit.recordLater(issued(0), { requestId: id });
      expect(parsed()).toEqual([
        expect.objectContaining({
          level: 50,
          audit: true,
          stored: false,
          reason: 'queue_full',
          request_id: 'dropped-1',
          msg: 'audit token.issued success (not stored: audit queue full)',
        }),
        expect.objectContaining({ level: 50, audit: true, stored: false, reason: 'queue_full', request_id: 'dropped-2' }),
      ]);
      expect((await metrics.auditEventsDropped.get()).values[0]!.value).toBe(2);
      gates[0]!.release();
      await batchesReach(2);
      // Room again once a batch is done.
      audit.recordLater(issued(0), { requestId: 'queued-3' });
      gates[1]!.release();
      await batchesReach(3);
      gates[2]!.release();
      await audit.flush();
      expect(batches.map((batch) => batch.map((event) => event.requestId))).toEqual([['queued-0'], ['queued-1', 'queued-2'], ['queued-3']]);
      expect((await store.audit.list()).map((event) => event.requestId)).toEqual(['queued-0', 'queued-1', 'queued-2', 'queued-3']);
      expect(await verifyAuditLog(store.audit, keys)).toMatchObject({ ok: true, count: 4 });
      const inFile = readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(inFile.filter((line) => line.seq === null).map((line) => line.request_id)).toEqual(['dropped-1', 'dropped-2']);
    });

    it('logs an event built wrongly instead of throwing into the request that is already answered', async () => {
      const { audit, parsed } = auditLog();
      expect(() => audit.recordLater({ type: 'has spaces', outcome: 'success' })).not.toThrow();
      audit.recordLater(issued(1));
      await audit.flush();
      expect(parsed()[0]).toMatchObject({ level: 50, msg: 'audit write failed', err: expect.objectContaining({ type: 'InvalidAuditEventError' }) });
      expect(await store.audit.list()).toHaveLength(1);
    });

    it('flush resolves at once with nothing queued, and refuses a bound that is not a positive count', async () => {
      const { audit } = auditLog();
      await audit.flush();
      for (const maxQueuedEvents of [0, -1, 1.5, Number.NaN]) expect(() => auditLog({ maxQueuedEvents })).toThrow(TypeError);
    });
  });

  describe('redaction', () => {
    const details = {
      username: 'alice',
      password: PASSWORD,
      client_secret: CLIENT_SECRET,
      clientSecret: CLIENT_SECRET,
      code: CODE,
      code_verifier: RANDOM_TOKEN,
      assertion: JWT,
      otp: 493027,
      id_token_hint: JWT,
      presented: JWT,
      header: `Bearer ${JWT}`,
      opaque: `refresh ${RANDOM_TOKEN} presented`,
      nested: { refresh_token: 'short', list: ['fine', RANDOM_TOKEN, { recovery_codes: ['a-b-c'] }] },
      grant_type: 'authorization_code',
      token_type_hint: 'refresh_token',
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid profile',
      grant_id: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
      redirect_uri: 'https://app.example/oauth/callback_after_sign_in_complete',
      reason: 'invalid_grant',
    };

    const expected = {
      username: 'alice',
      password: '[redacted]',
      client_secret: '[redacted]',
      clientSecret: '[redacted]',
      code: '[redacted]',
      code_verifier: '[redacted]',
      assertion: '[redacted]',
      otp: '[redacted]',
      id_token_hint: '[redacted]',
      presented: '[redacted]',
      header: '[redacted]',
      opaque: '[redacted]',
      nested: { refresh_token: '[redacted]', list: ['fine', '[redacted]', { recovery_codes: '[redacted]' }] },
      grant_type: 'authorization_code',
      token_type_hint: 'refresh_token',
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid profile',
      grant_id: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
      redirect_uri: 'https://app.example/oauth/callback_after_sign_in_complete',
      reason: 'invalid_grant',
    };

    it('never lets a password, a secret, a code or a token reach the database, the logs or the file', async () => {
      const file = join(dir, 'audit.jsonl');
      const { audit, lines } = auditLog({ file });
      const stored = await audit.record({ type: 'token.failed', outcome: 'failure', clientId: 'client-1', details }, { requestId: 'req-1' });
      expect(stored.details).toEqual(expected);
      expect((await store.audit.list())[0]!.details).toEqual(expected);

      const outputs = { database: JSON.stringify(await store.audit.list()), logger: lines.join('\n'), file: readFileSync(file, 'utf8') };
      for (const [sink, output] of Object.entries(outputs)) {
        expect(output, sink).toContain('[redacted]');
        expect(output, sink).toContain('alice');
        for (const secret of SECRETS) expect(output.includes(secret), `${sink} holds ${secret}`).toBe(false);
        // Nor any piece of the JWT.
        for (const part of JWT.split('.')) expect(output.includes(part), `${sink} holds a JWT part`).toBe(false);
      }
      expect(JSON.parse(lines[0]!)).toMatchObject({ details: expected });
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ details: expected });
    });

    it('redactDetails leaves the caller’s object alone', () => {
      const original = structuredClone(details);
      expect(redactDetails(details)).toEqual(expected);
      expect(details).toEqual(original);
    });

    it.each([
      'password',
      'newPassword',
      'password_hash',
      'secret',
      'client_secret',
      'clientSecret',
      'token',
      'access_token',
      'refreshToken',
      'id_token_hint',
      'code',
      'code_verifier',
      'user_code',
      'recovery_codes',
      'assertion',
      'client_assertion',
      'otp',
      'totp',
      'pin',
      'cookie',
      'Authorization',
      'private_key',
      'apiKey'.toLowerCase(),
    ])('treats the key %s as secret', (key) => {
      expect(isSecretKey(key)).toBe(true);
    });

    it.each(['username', 'scope', 'grant_type', 'token_type', 'token_type_hint', 'code_challenge_method', 'reason', 'client_id', 'kid', 'ip'])(
      'keeps the key %s',
      (key) => {
        expect(isSecretKey(key)).toBe(false);
      },
    );

    it('tells tokens from identifiers and words', () => {
      expect(looksLikeToken(JWT)).toBe(true);
      expect(looksLikeToken('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).toBe(true); // unsigned JWT
      expect(looksLikeToken(RANDOM_TOKEN)).toBe(true);
      expect(looksLikeToken('a'.repeat(31) + '9Z')).toBe(true); // 33 characters
      expect(looksLikeToken('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')).toBe(true); // hex
      expect(looksLikeToken('ab9Z'.repeat(8))).toBe(false); // 32 characters
      expect(looksLikeToken('7d444840-9dc0-11d1-b245-5ffdce74fad2')).toBe(false); // UUID
      expect(looksLikeToken('grant 7d444840-9dc0-11d1-b245-5ffdce74fad2 revoked')).toBe(false);
      expect(looksLikeToken('urn_ietf_params_oauth_grant_type_token_exchange')).toBe(false);
      expect(looksLikeToken('authorization_code')).toBe(false);
      expect(looksLikeToken('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36')).toBe(false);
    });
  });
});
