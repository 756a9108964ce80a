/**
 * `gatehouse start` when it cannot serve (issue 13): a port in use, a host that is not this
 * machine's, a TLS file that is missing or unusable. Each is one line naming the flag that changes
 * it, exit 1, no stack trace, and nothing left behind: the process ends by itself (no store or
 * Redis connection keeps it alive) and a new data directory or database is not even created.
 *
 * Build first (`npm run build`): the command runs from dist/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, runCli, startServer, type RunResult, type Workspace } from '../helpers/cli.js';
import { adminQuery, dropSchema, POSTGRES_URL, uniqueSchema } from '../helpers/postgres.js';
import { globLiteral, REDIS_URL, redisKeys, uniqueRedisPrefix } from '../helpers/scale.js';

const SECRET = 'start-errors-test-secret-'.padEnd(48, 's');

const workspaces: Workspace[] = [];
function workspace(): Workspace {
  const ws = createWorkspace();
  workspaces.push(ws);
  return ws;
}

/** Something else listening on 127.0.0.1, on a port of its own. */
let occupied: Server;
let busyPort: number;

beforeAll(async () => {
  occupied = createServer();
  await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
  busyPort = (occupied.address() as { port: number }).port;
});

afterAll(async () => {
  await killAll();
  await new Promise((resolve) => occupied?.close(resolve));
  for (const ws of workspaces) ws.remove();
});

/** Exit 1 by itself (not killed at the timeout), and exactly one line on stderr: `error: ...`, no stack, no doubled prefix. */
function expectOneLineError(result: RunResult, ...mentions: string[]): void {
  expect(result.code, `stderr: ${result.stderr}`).toBe(1);
  expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
  expect(result.stderr).not.toMatch(/error: error:/i);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).not.toMatch(/"issuer"|ready/);
  for (const text of mentions) expect(result.stderr).toContain(text);
}

function start(ws: Workspace, args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> {
  return runCli(['start', '--json', '--data', ws.dataDir, ...args], { cwd: ws.cwd, dev: true, env, timeoutMs: 20_000 });
}

describe('a port in use', () => {
  it('--port: one line naming the port and how to change it; no data directory created', async () => {
    const ws = workspace();
    const result = await start(ws, ['--port', String(busyPort)]);
    expectOneLineError(result, `port ${busyPort}`, '--port', 'GATEHOUSE_PORT', 'already in use');
    expect(existsSync(ws.dataDir)).toBe(false);
  });

  it('GATEHOUSE_PORT: the same', async () => {
    const ws = workspace();
    const result = await start(ws, [], { GATEHOUSE_PORT: String(busyPort) });
    expectOneLineError(result, `port ${busyPort}`, '--port', 'GATEHOUSE_PORT');
  });

  it('with --workers 2: the same single line from the primary, before any worker starts', async () => {
    const ws = workspace();
    const result = await start(ws, ['--port', String(busyPort), '--workers', '2']);
    expectOneLineError(result, `port ${busyPort}`, '--port');
    expect(existsSync(ws.dataDir)).toBe(false);
  }, 40_000);

  it('with PostgreSQL and Redis: the process ends by itself, and the schema and Redis keys are not created', async () => {
    const ws = workspace();
    const schema = uniqueSchema();
    const prefix = uniqueRedisPrefix();
    try {
      const result = await runCli(['start', '--port', String(busyPort), '--data', ws.dataDir], {
        cwd: ws.cwd,
        env: {
          GATEHOUSE_SECRET: SECRET,
          GATEHOUSE_DATABASE_URL: POSTGRES_URL,
          GATEHOUSE_DATABASE_SCHEMA: schema,
          GATEHOUSE_REDIS_URL: REDIS_URL,
          GATEHOUSE_REDIS_PREFIX: prefix,
        },
        timeoutMs: 20_000,
      });
      expectOneLineError(result, `port ${busyPort}`, '--port');
      expect(await adminQuery('select 1 from pg_namespace where nspname = $1', [schema])).toEqual([]);
      expect(await redisKeys(`${globLiteral(prefix)}*`)).toEqual([]);
    } finally {
      await dropSchema(schema);
    }
  }, 40_000);
});

describe('a host that cannot be listened on', () => {
  it('an address of another machine names --host', async () => {
    const ws = workspace();
    // TEST-NET-3 (RFC 5737): never an address of this machine.
    const result = await start(ws, ['--port', '0', '--host', '203.0.113.5']);
    expectOneLineError(result, '203.0.113.5', '--host', 'GATEHOUSE_HOST');
    expect(existsSync(ws.dataDir)).toBe(false);
  });

  it('a name that does not resolve names --host', async () => {
    const ws = workspace();
    const result = await start(ws, ['--port', '0', '--host', 'no-such-host.invalid']);
    expectOneLineError(result, 'no-such-host.invalid', '--host');
  });
});

describe('HTTP timeouts', () => {
  it('a head timeout above the request timeout: one line naming both variables; no data directory created', async () => {
    const ws = workspace();
    const result = await start(ws, ['--port', '0'], { GATEHOUSE_HTTP_HEADERS_TIMEOUT: '40000', GATEHOUSE_HTTP_REQUEST_TIMEOUT: '30000' });
    expectOneLineError(result, 'GATEHOUSE_HTTP_HEADERS_TIMEOUT', 'GATEHOUSE_HTTP_REQUEST_TIMEOUT');
    expect(existsSync(ws.dataDir)).toBe(false);
  });

  it('GATEHOUSE_HTTP_KEEP_ALIVE_TIMEOUT is the idle time kept-alive connections are told and given', async () => {
    const ws = workspace();
    const server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true, env: { GATEHOUSE_HTTP_KEEP_ALIVE_TIMEOUT: '7000' } });
    try {
      const response = await fetch(`${server.issuer}/.well-known/openid-configuration`);
      expect(response.status).toBe(200);
      expect(response.headers.get('keep-alive')).toBe('timeout=7');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe('TLS files', () => {
  const ws = workspace();
  const cert = join(ws.cwd, 'server.crt');
  const key = join(ws.cwd, 'server.key');
  const otherKey = join(ws.cwd, 'other.key');
  beforeAll(() => {
    for (const [c, k] of [
      [cert, key],
      [join(ws.cwd, 'other.crt'), otherKey],
    ] as const) {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', k, '-out', c],
        { stdio: 'ignore' },
      );
    }
    writeFileSync(join(ws.cwd, 'not-pem.txt'), 'this is not a certificate\n');
    mkdirSync(join(ws.cwd, 'a-directory'));
  });

  it.each([
    ['a missing certificate', ['--tls-cert', join(ws.cwd, 'missing.crt'), '--tls-key', key], ['--tls-cert', 'missing.crt', 'no such file']],
    ['a missing key', ['--tls-cert', cert, '--tls-key', join(ws.cwd, 'missing.key')], ['--tls-key', 'missing.key', 'no such file']],
    ['a directory for the certificate', ['--tls-cert', join(ws.cwd, 'a-directory'), '--tls-key', key], ['--tls-cert', 'a-directory']],
    ['a certificate that is not PEM', ['--tls-cert', join(ws.cwd, 'not-pem.txt'), '--tls-key', key], ['--tls-cert', 'not-pem.txt', 'not a PEM certificate']],
    ['a key that is not PEM', ['--tls-cert', cert, '--tls-key', join(ws.cwd, 'not-pem.txt')], ['--tls-key', 'not-pem.txt']],
    ['the key of another certificate', ['--tls-cert', cert, '--tls-key', otherKey], ['--tls-key', 'other.key', 'server.crt']],
    ['a certificate without its key', ['--tls-cert', cert], ['--tls-cert', '--tls-key']],
  ])('%s is named by its flag', async (_name, args, mentions) => {
    const result = await start(ws, ['--port', '0', ...args]);
    expectOneLineError(result, ...mentions);
    expect(existsSync(ws.dataDir)).toBe(false);
  });

  // root reads any file: nothing to check there.
  it.skipIf(process.getuid?.() === 0)('an unreadable file (permission denied) is named by its flag', async () => {
    const locked = join(ws.cwd, 'locked.key');
    execFileSync('cp', [key, locked]);
    execFileSync('chmod', ['000', locked]);
    const result = await start(ws, ['--port', '0', '--tls-cert', cert, '--tls-key', locked]);
    expectOneLineError(result, '--tls-key', 'permission denied');
  });
});
