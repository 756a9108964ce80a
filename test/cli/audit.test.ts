/**
 * `gatehouse audit verify | tail`, run through `auditCommand` with in-memory streams on a real data
 * directory: its SQLite database is filled through the store and the audit log, then tampered
 * with by plain SQL, as someone with access to the database file would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_USAGE, auditCommand } from '../../src/cli/commands/audit.js';
import { UsageError, type CliIo } from '../../src/cli/io.js';
import { DATABASE_FILE } from '../../src/cli/runtime.js';
import { silentLogger } from '../../src/core/logger.js';
import { SecretKeys } from '../../src/core/secret.js';
import { createAuditLog } from '../../src/server/audit/audit-log.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { FakeClock, T0 } from '../helpers/fake-clock.js';

const SECRET = 'cli-audit-test-secret-'.padEnd(48, 's');

/** A CliIo over PassThrough streams, and what the command wrote to them. */
function memoryIo(env: NodeJS.ProcessEnv) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const io: CliIo = { stdout, stderr, stdin, env };
  return { io, stdout: () => out, stderr: () => err };
}

describe('gatehouse audit', () => {
  let dir: string;
  let dataDir: string;
  let database: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-audit-cli-'));
    dataDir = join(dir, 'data');
    database = join(dataDir, DATABASE_FILE);
    // Five events, recorded as the server records them, with the installation's secret.
    const store = createSqliteStore({ filename: database });
    await store.migrate();
    const clock = new FakeClock(T0);
    const audit = createAuditLog({ store, secretKeys: new SecretKeys(SECRET), logger: silentLogger(), clock });
    const events = [
      { type: 'login', outcome: 'failure', subject: 'alice', details: { reason: 'bad_password' } },
      { type: 'login', outcome: 'success', subject: 'alice' },
      { type: 'token.issued', outcome: 'success', clientId: 'client-1', subject: 'alice' },
      { type: 'token.issued', outcome: 'success', clientId: 'client-1', subject: 'bob' },
      { type: 'logout', outcome: 'success', subject: 'alice' },
    ] as const;
    for (const [i, event] of events.entries()) {
      clock.advance(60_000);
      await audit.record(event, { requestId: `req-${i + 1}`, ip: '203.0.113.7', userAgent: 'test-agent' });
    }
    await store.close();
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `gatehouse audit ...args --data <dataDir>`. */
  async function run(args: string[], env: NodeJS.ProcessEnv = { GATEHOUSE_SECRET: SECRET }) {
    const { io, stdout, stderr } = memoryIo(env);
    const warnings: string[] = [];
    const code = await auditCommand([...args, '--data', dataDir], io, (message) => warnings.push(message));
    await new Promise((resolve) => setImmediate(resolve));
    return { code, stdout: stdout(), stderr: stderr(), warnings };
  }

  /** Plain SQL on the database file, bypassing Gatehouse. */
  function tamper(sql: string): void {
    const raw = new BetterSqlite3(database);
    try {
      raw.exec(sql);
    } finally {
      raw.close();
    }
  }

  describe('verify', () => {
    it('passes an untouched log', async () => {
      const result = await run(['verify']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^audit log intact: 5 events\nlast event: #5 [A-Za-z0-9_-]{43}\n$/);
    });

    it('fails naming event #3 after one stored event is edited with plain SQL', async () => {
      tamper("UPDATE audit_events SET subject = 'mallory' WHERE seq = 3");
      const result = await run(['verify']);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^audit log broken at event #3 \(edited\): /);
    });

    it('fails naming where an event was deleted', async () => {
      tamper('DELETE FROM audit_events WHERE seq = 3');
      const result = await run(['verify']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('audit log broken at event #3 (removed): event #3 is missing: #2 is followed by #4\n');
    });

    it('fails naming two swapped events as reordered', async () => {
      tamper('UPDATE audit_events SET seq = -2 WHERE seq = 2; UPDATE audit_events SET seq = 2 WHERE seq = 4; UPDATE audit_events SET seq = 4 WHERE seq = -2;');
      const result = await run(['verify']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('audit log broken at event #2 (reordered): event #2 holds the event recorded as #4\n');
    });

    it('fails from the first event with another secret: the chain is keyed', async () => {
      const result = await run(['verify'], { GATEHOUSE_SECRET: 'some-other-secret-'.padEnd(48, 'o') });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^audit log broken at event #1 \(edited\)/);
    });

    it('--json reports the outcome as JSON', async () => {
      const intact = await run(['verify', '--json']);
      expect(intact.code).toBe(0);
      expect(JSON.parse(intact.stdout)).toEqual({ ok: true, count: 5, last_seq: 5, last_hash: expect.any(String) });

      tamper('UPDATE audit_events SET details = \'{"reason":"none"}\' WHERE seq = 1');
      const broken = await run(['verify', '--json']);
      expect(broken.code).toBe(1);
      expect(JSON.parse(broken.stdout)).toEqual({ ok: false, count: 0, seq: 1, problem: 'edited', message: expect.stringContaining('#1') });
    });

    it('passes an empty log', async () => {
      tamper('DELETE FROM audit_events');
      const result = await run(['verify']);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('audit log intact: 0 events\n');
    });

    it('takes no --type or --limit', async () => {
      await expect(run(['verify', '--type', 'login'])).rejects.toThrow(UsageError);
    });
  });

  describe('tail', () => {
    it('shows the newest 20 events as a table, oldest of them first', async () => {
      const result = await run(['tail']);
      expect(result.code).toBe(0);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^seq\s+time\s+type\s+outcome\s+client_id\s+subject\s+ip\s+request_id$/);
      expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 4))).toEqual([
        ['1', new Date(T0 + 60_000).toISOString(), 'login', 'failure'],
        ['2', new Date(T0 + 120_000).toISOString(), 'login', 'success'],
        ['3', new Date(T0 + 180_000).toISOString(), 'token.issued', 'success'],
        ['4', new Date(T0 + 240_000).toISOString(), 'token.issued', 'success'],
        ['5', new Date(T0 + 300_000).toISOString(), 'logout', 'success'],
      ]);
      expect(lines[3]).toMatch(/client-1\s+alice\s+203\.0\.113\.7\s+req-3$/);
      expect(lines[2]).toMatch(/\s-\s+alice/); // no client: a dash
    });

    it('--type and --limit pick the newest events of one type', async () => {
      const result = await run(['tail', '--type', 'token.issued', '--limit', '1']);
      expect(result.code).toBe(0);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatch(/^4\s.*token\.issued.*bob/);
      expect((await run(['tail', '--type', 'nope'])).stdout).toBe('(none)\n');
    });

    it('--json prints the events in wire form', async () => {
      const result = await run(['tail', '--limit', '2', '--json']);
      expect(result.code).toBe(0);
      const events = JSON.parse(result.stdout) as Record<string, unknown>[];
      expect(events.map((event) => event.seq)).toEqual([4, 5]);
      expect(events[1]).toEqual({
        seq: 5,
        time: new Date(T0 + 300_000).toISOString(),
        type: 'logout',
        outcome: 'success',
        request_id: 'req-5',
        client_id: null,
        subject: 'alice',
        ip: '203.0.113.7',
        user_agent: 'test-agent',
        details: {},
        prev_hash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        hash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
    });

    it('filters by time (--to excluded), repeated --type, --user, --client, --address and --outcome, all at once', async () => {
      const seqs = async (args: string[]) => (JSON.parse((await run(['tail', ...args, '--json'])).stdout) as { seq: number }[]).map((event) => event.seq);
      const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
      expect(await seqs(['--from', at(2), '--to', at(4)])).toEqual([2, 3]);
      expect(await seqs(['--type', 'login', '--type', 'logout'])).toEqual([1, 2, 5]);
      expect(await seqs(['--user', 'bob'])).toEqual([4]);
      expect(await seqs(['--client', 'client-1', '--user', 'alice'])).toEqual([3]);
      expect(await seqs(['--address', '203.0.113.7', '--outcome', 'failure'])).toEqual([1]);
      expect(await seqs(['--address', '198.51.100.1'])).toEqual([]);
      expect(await seqs(['--user', 'nobody'])).toEqual([]);
    });

    it('refuses bad filters naming the flag, never repeating the value', async () => {
      for (const [flag, value] of [
        ['--from', 'yesterday-secret'],
        ['--to', '2026-13-01'],
        ['--address', 'not-an-ip-secret'],
        ['--outcome', 'maybe-secret'],
        ['--type', 'bad type secret'],
      ]) {
        const error = await run(['tail', flag!, value!]).then(
          () => undefined,
          (reason: unknown) => reason as Error,
        );
        expect(error).toBeInstanceOf(UsageError);
        expect(error!.message).toContain(flag);
        expect(error!.message).not.toContain('secret');
      }
      await expect(run(['verify', '--user', 'alice'])).rejects.toThrow(UsageError);
    });

    it('rejects a --limit that is not a count', async () => {
      for (const limit of ['0', '-1', '1.5', 'ten', '10001']) {
        await expect(run(['tail', '--limit', limit])).rejects.toThrow(UsageError);
      }
    });
  });

  it('prints the usage: exit 2 without a command, 0 with --help; rejects unknown commands', async () => {
    const { io, stdout } = memoryIo({});
    expect(await auditCommand([], io, () => undefined)).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stdout()).toBe(`${AUDIT_USAGE}\n`);
    const help = await run(['tail', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('gatehouse audit verify');
    await expect(run(['rewrite'])).rejects.toThrow(UsageError);
  });
});
