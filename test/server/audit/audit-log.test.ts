import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REDACTED_PATHS } from '../../../src/core/logger.js';
import { SecretKeys } from '../../../src/core/secret.js';
import { createAuditLog, InvalidAuditEventError, type AuditLogOptions } from '../../../src/server/audit/audit-log.js';
import { verifyAuditLog } from '../../../src/server/audit/chain.js';
import { isSecretKey, looksLikeToken, redactDetails } from '../../../src/server/audit/redact.js';
import type { Store } from '../../../src/stores/contract.js';
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
