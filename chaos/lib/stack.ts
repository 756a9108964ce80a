/**
 * What `npm run chaos` runs against: `gatehouse start` instances over the machine's PostgreSQL (a
 * schema of the run) and a `redis-server` of the run's own, each dependency behind a
 * {@link FaultProxy} that a phase kills, freezes or slows. The instances reach both through the
 * proxies; the `gatehouse` commands of the checks (audit verify, counts) go straight to them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FaultProxy } from '../../scripts/lib/fault-proxy.mjs';
import { createWorkspace, runCli, startServer, type RunningServer, type Workspace } from '../../test/helpers/cli.js';
import { adminQuery, dropSchema, POSTGRES_URL, uniqueSchema } from '../../test/helpers/postgres.js';
import { addClient, addUser, cli, ISSUER, PrivateRedis, testSecret, uniqueRedisPrefix, type ScaleClient, type ScaleUser } from '../../test/helpers/scale.js';
import type { Target } from './load.js';

/** Far above what the load asks for: a 429 would hide what the faults do. */
const UNLIMITED = { points: 1_000_000_000, seconds: 60 };

/** A `gatehouse start` of the run, under a name; restarted on the same port. */
export interface Node extends Target {
  /** More flags for `gatehouse start` (`--workers 2`). */
  args: string[];
}

/** `url` with its host and port replaced by 127.0.0.1:`port` (the proxy). */
function through(url: string, port: number): string {
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return proxied.href;
}

export class Stack {
  readonly nodes: Node[] = [];
  /** Nodes started beside the main two (the `--workers` one), stopped at the end. */
  readonly extra: Node[] = [];

  private constructor(
    readonly ws: Workspace,
    readonly schema: string,
    readonly redis: PrivateRedis,
    readonly redisProxy: FaultProxy,
    readonly pgProxy: FaultProxy,
    /** The instances' environment: PostgreSQL and Redis through the proxies. */
    readonly env: Record<string, string>,
    /** The commands' environment: PostgreSQL and Redis directly. */
    readonly cliEnv: Record<string, string>,
    readonly machine: ScaleClient,
    readonly web: ScaleClient,
    readonly users: ScaleUser[],
  ) {}

  /** Sets up the dependencies, the proxies, the installation (users, clients), and two instances. */
  static async create(): Promise<Stack> {
    const ws = createWorkspace();
    const schema = uniqueSchema();
    const postgres = new URL(POSTGRES_URL);
    const [redis, pgProxy] = await Promise.all([PrivateRedis.start(), FaultProxy.open({ host: postgres.hostname, port: Number(postgres.port || 5432) })]);
    const redisProxy = await FaultProxy.open({ host: '127.0.0.1', port: redis.port });
    writeFileSync(
      join(ws.cwd, 'gatehouse.config.json'),
      JSON.stringify({ rateLimits: { requestsPerIp: UNLIMITED, tokenPerClient: UNLIMITED, clientAuthPerClientIp: UNLIMITED } }),
    );
    const common = {
      GATEHOUSE_SECRET: testSecret(),
      // The shared issuer (http://gatehouse.test) is plain http on a name that is not loopback.
      GATEHOUSE_ENV: 'development',
      GATEHOUSE_DATABASE_SCHEMA: schema,
      GATEHOUSE_REDIS_PREFIX: uniqueRedisPrefix(),
      // An outage is logged on every request it refuses: keep the output small.
      GATEHOUSE_LOG_LEVEL: 'fatal',
    };
    const env = { ...common, GATEHOUSE_DATABASE_URL: through(POSTGRES_URL, pgProxy.port), GATEHOUSE_REDIS_URL: through(redis.url, redisProxy.port) };
    const cliEnv = { ...common, GATEHOUSE_DATABASE_URL: POSTGRES_URL, GATEHOUSE_REDIS_URL: redis.url };
    try {
      await cli(ws, cliEnv, ['migrate']);
      const users = await Promise.all(['n1', 'n2', 'w', 'sentinel', 'cluster', 'keeper'].map((name) => addUser(ws, cliEnv, `chaos-${name}`)));
      const [machine, web] = await Promise.all([
        addClient(ws, cliEnv, 'Chaos machine', ['--grant', 'client_credentials', '--scope', 'api:read']),
        addClient(ws, cliEnv, 'Chaos web app'),
      ]);
      const stack = new Stack(ws, schema, redis, redisProxy, pgProxy, env, cliEnv, machine, web, users);
      stack.nodes.push(...(await Promise.all([stack.startNode('n1', stack.user('n1')), stack.startNode('n2', stack.user('n2'))])));
      return stack;
    } catch (error) {
      // Nothing of a failed set-up outlives it (instances: the caller's killAll).
      await Promise.all([redisProxy.close(), pgProxy.close()]);
      await redis.stop();
      await dropSchema(schema).catch(() => undefined);
      ws.remove();
      throw error;
    }
  }

  /** The user of a name given at set-up. */
  user(name: string): ScaleUser {
    const user = this.users.find((candidate) => candidate.username === `chaos-${name}`);
    if (!user) throw new Error(`no chaos user ${name}`);
    return user;
  }

  /** Starts `gatehouse start` with the instances' environment (`env` overrides it). */
  async startNode(name: string, user: ScaleUser, args: string[] = [], env: Record<string, string> = {}): Promise<Node> {
    const server = await this.#start(args, { ...this.env, ...env });
    return { name, server, user, args };
  }

  #start(args: string[], env: Record<string, string>, port = 0): Promise<RunningServer> {
    return startServer({ cwd: this.ws.cwd, dataDir: this.ws.dataDir, env, port, args: ['--issuer', ISSUER, ...args], readyTimeoutMs: 30_000 });
  }

  /** Starts a stopped node again on its port (what a supervisor does); the time it took to be ready. */
  async restart(node: Node): Promise<number> {
    const began = Date.now();
    await node.server.stop('SIGKILL'); // no-op when it has exited
    node.server = await this.#start(node.args, this.env, node.server.port);
    return Date.now() - began;
  }

  /** Whether the node's process is running. */
  static alive(node: Node): boolean {
    try {
      process.kill(node.server.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** After a phase that failed half-way: both proxies up and unhindered, both main nodes running. Names what it had to mend. */
  async ensureUp(): Promise<string[]> {
    const mended: string[] = [];
    for (const [name, proxy] of [
      ['Redis', this.redisProxy],
      ['PostgreSQL', this.pgProxy],
    ] as const) {
      if (proxy.state === 'up') continue;
      mended.push(`${name} proxy was ${proxy.state}`);
      if (proxy.state === 'killed') await proxy.start();
      proxy.thaw();
      proxy.slow(0);
    }
    for (const node of this.nodes) {
      if (Stack.alive(node)) continue;
      mended.push(`${node.name} had exited: restarted`);
      await this.restart(node);
    }
    return mended;
  }

  /** The run's processes now (instances, the Redis server), for the CPU accounting. */
  pids(): number[] {
    const pids = [...this.nodes, ...this.extra].filter((node) => Stack.alive(node)).map((node) => node.server.pid);
    if (this.redis.pid !== undefined) pids.push(this.redis.pid);
    return pids;
  }

  /** `gatehouse audit verify --json`. */
  async auditVerify(): Promise<{ ok: boolean; count: number; detail: string }> {
    const result = await runCli(['audit', 'verify', '--json', '--data', this.ws.dataDir], { cwd: this.ws.cwd, env: this.cliEnv, timeoutMs: 300_000 });
    try {
      const body = JSON.parse(result.stdout) as { ok: boolean; count: number; message?: string };
      return { ok: body.ok, count: body.count, detail: body.ok ? `${body.count} events` : `broken: ${body.message ?? ''}` };
    } catch {
      return { ok: false, count: 0, detail: `exit ${result.code}: ${(result.stderr || result.stdout).split('\n')[0] ?? ''}` };
    }
  }

  /** Rows of a table of the run's schema. */
  async count(table: 'users' | 'clients'): Promise<number> {
    const [row] = await adminQuery<{ n: string }>(`select count(*) as n from ${this.schema}.${table}`);
    return Number(row?.n ?? 0);
  }

  /** Stops everything the run started and drops its schema. */
  async close(): Promise<void> {
    await Promise.all([...this.nodes, ...this.extra].map((node) => node.server.stop('SIGKILL')));
    await Promise.all([this.redisProxy.close(), this.pgProxy.close()]);
    await this.redis.stop();
    await dropSchema(this.schema);
    this.ws.remove();
  }
}
