/**
 * The process lifecycle of the real `gatehouse start` under keep-alive load: a few clients with
 * kept-alive connections (and one opening a connection per request) loop over client_credentials
 * token requests and discovery while the process is reloaded (SIGHUP), stopped (SIGTERM), or
 * loses a worker (SIGKILL), in one process and with `--workers 2`.
 *
 * What an operator relies on: a reload drops no request and applies the configuration file; a stop
 * resets no request (every answer from then on says `Connection: close`, and the clients go
 * elsewhere), finishes quickly, and stores the audit event of every token it issued; a worker that
 * dies leaves no connection waiting for an answer that never comes.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  childProcesses,
  cleanEnv,
  createWorkspace,
  isRunning,
  killAll,
  killLeftoverGatehouse,
  parseJson,
  pollUntil,
  REPO_ROOT,
  startServer,
  type RunningServer,
  type Workspace,
} from '../helpers/cli.js';
import { accepts, freePort } from '../helpers/ports.js';
import { dropSchema, postgresUnavailable, uniqueSchema } from '../helpers/postgres.js';
import {
  addClient,
  cli,
  deleteRedisKeys,
  globLiteral,
  postgresRedisEnv,
  REDIS_URL,
  sleep,
  testSecret,
  uniqueRedisPrefix,
  type ScaleClient,
} from '../helpers/scale.js';

/** Longest a request may go unanswered before it counts as a connection left open. */
const REQUEST_TIMEOUT_MS = 4000;
/** A stop must end well before the 10 s drain deadline. */
const QUICK_STOP_MS = 3000;

const unlimited = { points: 100_000_000, seconds: 60 };
/**
 * The stop tests' load: kept-alive connections only. A connection opened in the very instant the
 * port closes can be reset before the server read a byte of it (the kernel resets what waits in
 * the listen queue when the socket is closed), as with any server; such a request was never
 * processed. The test is about the connections a server has and answers.
 */
const KEPT_ALIVE_ONLY = { keepAlive: 4, fresh: 0 };

/** What one request came to. */
interface Outcome {
  client: number;
  path: string;
  /** `ok`: an HTTP answer; `refused`: the connection was refused (the request never reached a server); `failed`: anything else. */
  kind: 'ok' | 'refused' | 'failed';
  status?: number;
  /** The answer's `Connection` header. */
  connection?: string;
  requestId?: string;
  expiresIn?: number;
  error?: string;
  sentAt: number;
  doneAt: number;
}

/**
 * Clients looping until stopped: `keepAlive` of them each over one kept-alive connection, and
 * `fresh` of them opening a new connection per request. A refused connection is retried after a
 * short pause; nothing else is retried.
 */
class Load {
  readonly outcomes: Outcome[] = [];
  #running = true;
  #loops: Promise<void>[] = [];
  readonly #agents: Agent[] = [];

  constructor(
    private readonly port: number,
    private readonly client: ScaleClient,
    { keepAlive = 3, fresh = 1 } = {},
  ) {
    for (let i = 0; i < keepAlive + fresh; i += 1) {
      const agent = i < keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : undefined;
      if (agent) this.#agents.push(agent);
      this.#loops.push(this.#loop(i, agent));
    }
  }

  /** Ends the loops and waits for the requests in flight. */
  async stop(): Promise<Outcome[]> {
    this.#running = false;
    await Promise.all(this.#loops);
    for (const agent of this.#agents) agent.destroy();
    return this.outcomes;
  }

  /** The keep-alive clients' numbers. */
  get keepAliveClients(): number[] {
    return this.#agents.map((_, index) => index);
  }

  async #loop(client: number, agent: Agent | undefined): Promise<void> {
    for (let turn = 0; this.#running; turn += 1) {
      const outcome = await this.#send(client, agent, turn % 2 === 0 ? 'token' : 'discovery');
      this.outcomes.push(outcome);
      if (outcome.kind === 'refused') await sleep(20);
    }
  }

  #send(client: number, agent: Agent | undefined, what: 'token' | 'discovery'): Promise<Outcome> {
    const body = what === 'token' ? new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }).toString() : undefined;
    const path = what === 'token' ? '/token' : '/.well-known/openid-configuration';
    const sentAt = Date.now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (outcome: Omit<Outcome, 'client' | 'path' | 'sentAt' | 'doneAt'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ client, path, sentAt, doneAt: Date.now(), ...outcome });
      };
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          method: body ? 'POST' : 'GET',
          path,
          agent: agent ?? false,
          headers: body
            ? {
                'content-type': 'application/x-www-form-urlencoded',
                'content-length': String(Buffer.byteLength(body)),
                authorization: basicAuth(this.client.clientId, this.client.clientSecret),
              }
            : {},
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.once('error', (error) => done({ kind: 'failed', error: `${error.message} (in the body)` }));
          response.once('end', () => {
            let expiresIn: number | undefined;
            if (what === 'token' && response.statusCode === 200) expiresIn = (JSON.parse(text) as { expires_in: number }).expires_in;
            done({
              kind: 'ok',
              status: response.statusCode!,
              connection: response.headers.connection,
              requestId: response.headers['x-request-id'] as string | undefined,
              ...(expiresIn !== undefined ? { expiresIn } : {}),
            });
          });
        },
      );
      const timer = setTimeout(() => {
        done({ kind: 'failed', error: `no answer within ${REQUEST_TIMEOUT_MS} ms` });
        req.destroy();
      }, REQUEST_TIMEOUT_MS);
      req.once('error', (error: NodeJS.ErrnoException) =>
        done({ kind: error.code === 'ECONNREFUSED' ? 'refused' : 'failed', error: `${error.code ?? ''} ${error.message}` }),
      );
      req.end(body);
    });
  }
}

function failures(outcomes: Outcome[]): string[] {
  return outcomes.filter((outcome) => outcome.kind === 'failed' || (outcome.kind === 'ok' && outcome.status !== 200)).map(describeOutcome);
}

function describeOutcome(outcome: Outcome): string {
  return `client ${outcome.client} ${outcome.path}: ${outcome.kind} ${outcome.status ?? ''} ${outcome.error ?? ''} after ${outcome.doneAt - outcome.sentAt} ms`;
}

/** Request ids of the tokens answered with 200. */
function tokenRequestIds(outcomes: Outcome[]): string[] {
  return outcomes.filter((outcome) => outcome.path === '/token' && outcome.status === 200).map((outcome) => outcome.requestId!);
}

/** The worker pids of the primary `pid`. */
function childrenOf(pid: number): number[] {
  return childProcesses(pid).map((child) => child.pid);
}

/** Waits until a line of the process's stdout contains `text`. */
function logged(server: RunningServer, text: string, timeoutMs = 15_000): Promise<true> {
  return pollUntil(async () => server.output().stdout.includes(text), { timeoutMs, intervalMs: 50, what: `"${text}" in the log` });
}

/** Stops the server with `signal` and measures how long it took. */
async function timedStop(server: RunningServer, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; ms: number }> {
  const at = Date.now();
  const code = await server.stop(signal);
  return { code, ms: Date.now() - at };
}

/**
 * SIGTERM after half a second of kept-alive load: the server must exit 0 within
 * {@link QUICK_STOP_MS}. The tokens answered are added to `answered`; the load and when the stop
 * began are for {@link expectCleanStop}.
 */
async function stopUnderLoad(server: RunningServer, client: ScaleClient, answered: string[]): Promise<{ load: Load; stoppedAt: number }> {
  const load = new Load(server.port, client, KEPT_ALIVE_ONLY);
  await sleep(500);
  const stoppedAt = Date.now();
  const { code, ms } = await timedStop(server);
  await sleep(100);
  answered.push(...tokenRequestIds(await load.stop()));
  expect(code).toBe(0);
  expect(ms).toBeLessThan(QUICK_STOP_MS);
  return { load, stoppedAt };
}

/**
 * After a stop under load: no request failed, every answer was a 200, each kept-alive client was
 * told `Connection: close` after the stop signal, and the audit log verifies and holds the
 * token.issued event of every token answered.
 */
async function expectCleanStop(ws: Workspace, env: Record<string, string>, load: Load, stoppedAt: number, answeredTokens: string[]): Promise<void> {
  const outcomes = load.outcomes;
  expect(failures(outcomes)).toEqual([]);
  for (const client of load.keepAliveClients) {
    const answers = outcomes.filter((outcome) => outcome.client === client && outcome.kind === 'ok');
    const last = answers.at(-1)!;
    expect(last.doneAt, `client ${client}'s last answer came after the stop signal`).toBeGreaterThanOrEqual(stoppedAt);
    expect(last.connection, `client ${client}'s last answer`).toBe('close');
    // Before the stop, the connection was kept alive.
    expect(answers.filter((outcome) => outcome.doneAt < stoppedAt - 200).every((outcome) => outcome.connection === 'keep-alive')).toBe(true);
  }
  const verified = parseJson<{ ok: boolean; count: number }>(await cli(ws, env, ['audit', 'verify', '--json']));
  expect(verified.ok).toBe(true);
  const events = parseJson<{ request_id: string }[]>(await cli(ws, env, ['audit', 'tail', '--type', 'token.issued', '--limit', '10000', '--json']));
  const stored = new Set(events.map((event) => event.request_id));
  const missing = answeredTokens.filter((id) => !stored.has(id));
  expect(missing, `${missing.length} of ${answeredTokens.length} tokens answered have no token.issued event`).toEqual([]);
}

function writeConfig(ws: Workspace, extra: Record<string, unknown> = {}): void {
  writeFileSync(
    join(ws.cwd, 'gatehouse.config.json'),
    JSON.stringify({ rateLimits: { tokenPerClient: unlimited, requestsPerIp: unlimited, clientAuthPerClientIp: unlimited }, ...extra }),
  );
}

/** Makes `ws` an installation for these tests (config written, migrated) and adds the client the load uses. */
async function install(ws: Workspace, env: Record<string, string>): Promise<ScaleClient> {
  writeConfig(ws);
  await cli(ws, env, ['migrate']);
  return addClient(ws, env, 'Machine', ['--grant', 'client_credentials', '--scope', 'api:read']);
}

describe('gatehouse start, one process, under keep-alive load', () => {
  const env = { GATEHOUSE_SECRET: testSecret(), GATEHOUSE_ENV: 'development', GATEHOUSE_LOG_LEVEL: 'info' };
  let ws: Workspace;
  let client: ScaleClient;
  let server: RunningServer;
  const answered: string[] = [];

  beforeAll(async () => {
    ws = createWorkspace();
    client = await install(ws, env);
    server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, env });
  }, 60_000);

  afterAll(async () => {
    await killAll();
    ws?.remove();
  });

  it('reloads on SIGHUP without failing a request, applying the configuration file', async () => {
    const load = new Load(server.port, client);
    await sleep(400);
    writeConfig(ws, { accessTokenTtl: 1234 });
    process.kill(server.pid, 'SIGHUP');
    await logged(server, '"event":"reload.succeeded"');
    await sleep(400);
    const outcomes = await load.stop();
    answered.push(...tokenRequestIds(outcomes));
    expect(failures(outcomes)).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.kind === 'refused').map(describeOutcome)).toEqual([]);
    expect(isRunning(server.pid)).toBe(true);
    // Tokens before the reload have the default lifetime, those after it the new one.
    const lifetimes = outcomes.filter((outcome) => outcome.expiresIn !== undefined).map((outcome) => outcome.expiresIn);
    expect(lifetimes[0]).toBe(3600);
    expect(lifetimes.at(-1)).toBe(1234);
  });

  it('refuses a reload that changes what only a restart can, and goes on serving', async () => {
    writeConfig(ws, { accessTokenTtl: 1234, dbPoolSize: 3 });
    process.kill(server.pid, 'SIGHUP');
    await logged(server, 'reload refused: dbPoolSize changed');
    writeConfig(ws, { accessTokenTtl: 1234 });
    const load = new Load(server.port, client, { keepAlive: 1, fresh: 0 });
    await sleep(200);
    const outcomes = await load.stop();
    answered.push(...tokenRequestIds(outcomes));
    expect(failures(outcomes)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(0);
  });

  it('stops on SIGTERM under load: no reset, Connection: close, exit 0 quickly, every token audited', async () => {
    const { load, stoppedAt } = await stopUnderLoad(server, client, answered);
    await expectCleanStop(ws, env, load, stoppedAt, answered);
  });
});

describe('gatehouse start --workers 2, under keep-alive load', () => {
  const env = { GATEHOUSE_SECRET: testSecret(), GATEHOUSE_ENV: 'development', GATEHOUSE_LOG_LEVEL: 'info' };
  let ws: Workspace;
  let client: ScaleClient;
  let server: RunningServer;
  /** Every worker pid seen, for afterAll. */
  const workerPids = new Set<number>();
  /** Tokens answered with 200, outside the SIGKILL test (whose worker may take queued events with it). */
  const answered: string[] = [];

  beforeAll(async () => {
    ws = createWorkspace();
    client = await install(ws, env);
    server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, env, args: ['--workers', '2'], readyTimeoutMs: 30_000 });
    for (const pid of childrenOf(server.pid)) workerPids.add(pid);
  }, 60_000);

  afterAll(async () => {
    await killAll();
    killLeftoverGatehouse(workerPids);
    ws?.remove();
  });

  it('reloads on SIGHUP to the primary: every worker replaced, one at a time, no request failed', async () => {
    const before = childrenOf(server.pid);
    expect(before).toHaveLength(2);
    const load = new Load(server.port, client);
    await sleep(300);
    writeConfig(ws, { accessTokenTtl: 1234 });
    process.kill(server.pid, 'SIGHUP');
    await logged(server, '"event":"reload.succeeded"', 30_000);
    await sleep(300);
    const outcomes = await load.stop();
    answered.push(...tokenRequestIds(outcomes));
    expect(failures(outcomes)).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.kind === 'refused').map(describeOutcome)).toEqual([]);
    const after = childrenOf(server.pid);
    for (const pid of after) workerPids.add(pid);
    expect(after).toHaveLength(2);
    expect(after.filter((pid) => before.includes(pid))).toEqual([]);
    expect(isRunning(server.pid)).toBe(true);
    expect(outcomes.filter((outcome) => outcome.expiresIn !== undefined).at(-1)?.expiresIn).toBe(1234);
  });

  it('answers every request after a worker is killed with SIGKILL, leaving none unanswered', async () => {
    const load = new Load(server.port, client, { keepAlive: 3, fresh: 2 });
    await sleep(400);
    const [victim] = childrenOf(server.pid);
    const killedAt = Date.now();
    process.kill(victim!, 'SIGKILL');
    const replaced = await pollUntil(
      async () => {
        const workers = childrenOf(server.pid);
        return workers.length === 2 && !workers.includes(victim!) && workers;
      },
      { timeoutMs: 20_000, what: 'a replacement worker' },
    );
    for (const pid of replaced) workerPids.add(pid);
    await sleep(500);
    const outcomes = await load.stop();
    // Requests the killed worker was answering are lost with it; none may hang, and every
    // request sent once the kernel closed its connections is answered.
    expect(outcomes.filter((outcome) => outcome.error?.startsWith('no answer')).map(describeOutcome)).toEqual([]);
    expect(failures(outcomes.filter((outcome) => outcome.sentAt > killedAt + 200))).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.kind === 'refused').map(describeOutcome)).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.sentAt > killedAt + 200 && outcome.kind === 'ok').length).toBeGreaterThan(10);
  });

  it('stops on SIGTERM under load: no reset, Connection: close, exit 0 quickly, every token audited', async () => {
    const workers = childrenOf(server.pid);
    const { load, stoppedAt } = await stopUnderLoad(server, client, answered);
    for (const pid of workers) expect(isRunning(pid), `worker ${pid}`).toBe(false);
    await expectCleanStop(ws, env, load, stoppedAt, answered);
  });
});

describe('gatehouse start stuck starting (Redis unreachable)', () => {
  it('survives SIGHUP, waits on the first SIGTERM, and exits at once with 143 on a second', async () => {
    const ws = createWorkspace();
    try {
      const [port, nowhere] = [await freePort(), await freePort()];
      const env = { GATEHOUSE_SECRET: testSecret(), GATEHOUSE_ENV: 'development', GATEHOUSE_REDIS_URL: `redis://127.0.0.1:${nowhere}` };
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'gatehouse.js'), 'start', '--port', String(port), '--data', ws.dataDir], {
        cwd: ws.cwd,
        env: cleanEnv(env),
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        // One process listens first (and answers 503 until ready): its handlers are installed by then.
        await pollUntil(() => accepts(port, 200), { timeoutMs: 10_000, intervalMs: 50, what: 'the port' });
        child.kill('SIGHUP');
        await sleep(200);
        expect(child.exitCode).toBeNull();
        child.kill('SIGTERM');
        await sleep(200);
        expect(child.exitCode).toBeNull();
        const at = Date.now();
        child.kill('SIGTERM');
        expect(await exited).toBe(143);
        expect(Date.now() - at).toBeLessThan(1000);
      } finally {
        child.kill('SIGKILL');
      }
    } finally {
      ws.remove();
    }
  });
});

const postgresDown = await postgresUnavailable();

describe.skipIf(postgresDown !== undefined)('gatehouse start on PostgreSQL and Redis, under keep-alive load', () => {
  const schema = uniqueSchema();
  const prefix = uniqueRedisPrefix();
  const env = postgresRedisEnv({ schema, redisUrl: REDIS_URL, prefix });
  let ws: Workspace;

  afterAll(async () => {
    await killAll();
    ws?.remove();
    await dropSchema(schema).catch(() => undefined);
    await deleteRedisKeys(`${globLiteral(prefix)}*`).catch(() => undefined);
  });

  it('reloads on SIGHUP and stops on SIGTERM without failing a request, every token audited', async () => {
    ws = createWorkspace();
    const client = await install(ws, env);
    const server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, env, readyTimeoutMs: 30_000 });
    const load = new Load(server.port, client, KEPT_ALIVE_ONLY);
    await sleep(300);
    process.kill(server.pid, 'SIGHUP');
    await sleep(700);
    const stoppedAt = Date.now();
    const { code, ms } = await timedStop(server);
    await sleep(100);
    const outcomes = await load.stop();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(QUICK_STOP_MS);
    await expectCleanStop(ws, env, load, stoppedAt, tokenRequestIds(outcomes));
  }, 40_000);
});
