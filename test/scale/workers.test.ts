/**
 * `gatehouse start --workers 2` over the embedded SQLite: one primary and two node:cluster workers
 * sharing the port. Both workers serve; a worker that dies is replaced; SIGTERM stops them all and
 * the primary exits 0, leaving no worker behind.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  childProcesses,
  createWorkspace,
  isRunning,
  killAll,
  killLeftoverGatehouse,
  parseJson,
  pollUntil,
  startServer,
  type RunningServer,
  type Workspace,
} from '../helpers/cli.js';
import { accepts } from '../helpers/ports.js';
import { addClient, cli, testSecret, type ScaleClient } from '../helpers/scale.js';

const env = { GATEHOUSE_SECRET: testSecret(), GATEHOUSE_ENV: 'development', GATEHOUSE_LOG_LEVEL: 'warn' };
let ws: Workspace;
let server: RunningServer;
let client: ScaleClient;

beforeAll(async () => {
  ws = createWorkspace();
  await cli(ws, env, ['migrate']);
  client = await addClient(ws, env, 'Machine', ['--grant', 'client_credentials', '--scope', 'api:read']);
  server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, env, args: ['--workers', '2'], readyTimeoutMs: 30_000 });
}, 60_000);

afterAll(async () => {
  await server?.stop(); // SIGTERM: the primary stops its workers
  await killAll();
  // Should a worker have outlived its primary (the last test fails then), end it too.
  killLeftoverGatehouse(workerPids);
  ws?.remove();
});

/** Every worker pid seen, for the final check and for afterAll. */
const workerPids: number[] = [];

/** A request on a connection of its own, so that node:cluster hands each to the next worker. */
function send(method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        agent: false,
        timeout: 5000,
        headers: { ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.once('end', () => resolve({ status: response.statusCode!, body: text }));
      },
    );
    req.once('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 5 s`)));
    req.once('error', reject);
    req.end(body);
  });
}

function tokenRequest() {
  return send('POST', '/token', new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: basicAuth(client.clientId, client.clientSecret),
  });
}

describe('gatehouse start --workers 2', () => {
  it('runs a primary and two worker processes', () => {
    const workers = childProcesses(server.pid);
    expect(workers.map((worker) => worker.command)).toEqual(['node', 'node']);
    workerPids.push(...workers.map((worker) => worker.pid));
  });

  it('answers 21 token requests, shared between both workers', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => tokenRequest()));
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    // One more, so that the two workers' shares (odd total) cannot be equal.
    expect((await tokenRequest()).status).toBe(200);
    // Each worker counts what it issued (/metrics, loopback is an operator): scraped over fresh
    // connections, both counters show up, neither holds all 21, and together they make 21.
    const counts = new Set<number>();
    for (let scrape = 0; scrape < 20 && counts.size < 2; scrape += 1) {
      const metrics = await send('GET', '/metrics');
      expect(metrics.status).toBe(200);
      const match = /^gatehouse_tokens_issued_total\{grant_type="client_credentials"\} (\d+)$/m.exec(metrics.body);
      counts.add(match ? Number(match[1]) : 0);
    }
    expect(counts.size).toBe(2);
    expect([...counts].reduce((sum, count) => sum + count, 0)).toBe(21);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  // Both workers start on an empty data directory at the same moment: unless the primary makes the
  // signing keys before forking (as it applies the migrations), each worker finds none and makes
  // its own. The later one retires the earlier, but the earlier worker goes on signing with its own
  // key and publishing only that one until its next key refresh (GATEHOUSE_KEY_REFRESH_INTERVAL,
  // 60 s), and without Redis nothing tells it sooner.
  it('makes one set of signing keys on first start, not one per worker', async () => {
    const keys = parseJson<{ kid: string; alg: string; status: string }[]>(await cli(ws, env, ['keys', 'list', '--json']));
    expect(keys.map((key) => `${key.alg} ${key.status}`).sort()).toEqual(['ES256 active', 'RS256 active']);
  });

  it('every worker publishes the same keys and accepts the tokens of the other', async () => {
    const jwks = new Set<string>();
    for (let scrape = 0; scrape < 10; scrape += 1) {
      const { keys } = JSON.parse((await send('GET', '/jwks')).body) as { keys: { kid: string }[] };
      jwks.add(
        keys
          .map((key) => key.kid)
          .sort()
          .join(' '),
      );
    }
    expect([...jwks]).toHaveLength(1);

    const tokens = (await Promise.all(Array.from({ length: 6 }, () => tokenRequest()))).map(
      (answer) => (JSON.parse(answer.body) as { access_token: string }).access_token,
    );
    for (const token of tokens) {
      for (let twice = 0; twice < 2; twice += 1) {
        const introspected = await send('POST', '/introspect', new URLSearchParams({ token }).toString(), {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuth(client.clientId, client.clientSecret),
        });
        expect(JSON.parse(introspected.body)).toMatchObject({ active: true, client_id: client.clientId });
      }
    }
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const [victim, survivor] = childProcesses(server.pid);
    process.kill(victim!.pid, 'SIGKILL');
    // The workers accept from the shared socket themselves (the primary holds no connection), so
    // from the moment the killed worker is gone every new connection goes to the survivor.
    await pollUntil(async () => server.output().stderr.includes(`worker ${victim!.pid} exited`), {
      timeoutMs: 5000,
      intervalMs: 20,
      what: 'the primary to notice',
    });
    const meanwhile = await Promise.all(Array.from({ length: 4 }, () => tokenRequest()));
    expect(meanwhile.map((answer) => answer.status)).toEqual(Array(4).fill(200));
    const replaced = await pollUntil(
      async () => {
        const workers = childProcesses(server.pid);
        return workers.length === 2 && !workers.some((worker) => worker.pid === victim!.pid) && workers;
      },
      { timeoutMs: 15_000, what: 'a replacement worker' },
    );
    expect(replaced.map((worker) => worker.pid)).toContain(survivor!.pid);
    workerPids.push(...replaced.map((worker) => worker.pid));
    await pollUntil(async () => (await tokenRequest()).status === 200, { timeoutMs: 10_000, what: 'service' });
  });

  it('stops on SIGTERM with exit code 0 and leaves no worker behind', async () => {
    const workers = childProcesses(server.pid).map((worker) => worker.pid);
    expect(workers).toHaveLength(2);
    expect(await server.stop('SIGTERM')).toBe(0);
    for (const pid of workers) expect(isRunning(pid), `worker ${pid}`).toBe(false);
    expect(isRunning(server.pid)).toBe(false);
    expect(await accepts(server.port)).toBe(false);
  });
});
