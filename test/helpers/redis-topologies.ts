/**
 * Private Redis topologies for tests and the chaos script: a Sentinel set (a primary, a replica and
 * three sentinels) and a Redis Cluster (three primaries), each a group of `redis-server` children on
 * free loopback ports with their files in a temporary directory, without persistence (`--save ''`,
 * `--appendonly no`). Plain logic, no test framework: a test calls `stop()` in its `afterAll`, and
 * every child still running is killed when the process exits.
 *
 * @example
 * const sentinel = await startSentinelSet();
 * const redis = connectRedis(sentinel.url); // redis+sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/mymaster
 * const { from, to, ms } = await sentinel.failover();
 * await sentinel.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { accepts, freePort } from './ports.js';

/**
 * How long a replica may take to be in sync: a killed and restarted primary rejoining (see
 * `killPrimary`), or a replica resynchronising on a machine busy with the whole suite.
 */
const REJOIN_TIMEOUT_MS = 45_000;

/** Every child of every topology of this process, killed at exit should a `stop()` be missed. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Options every data node starts with: loopback only, nothing written to disk. */
/**
 * A data node: no persistence, and a full resynchronisation starts at once (Redis 7 waits 5 s by
 * default for more replicas to join a diskless sync: every failover or rejoin paid it).
 */
const DATA_NODE = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0'];

/** One `redis-server` child on its own port. */
export class RedisNode {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(
    readonly port: number,
    /** Arguments after `redis-server` (a config file first, for a sentinel). */
    private readonly args: readonly string[] = DATA_NODE,
    /** Its working directory, where its log goes; without one, it logs nowhere. */
    private readonly dir?: string,
  ) {}

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** The process id while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.#child) throw new Error(`redis-server on port ${this.port} is already running`);
    const log = this.dir === undefined ? [] : ['--logfile', join(this.dir, `redis-${this.port}.log`)];
    const child = spawn('redis-server', [...this.args, '--port', String(this.port), ...log], { cwd: this.dir, stdio: 'ignore' });
    this.#child = child;
    running.add(child);
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.#exited.then(() => running.delete(child));
    const see = this.dir === undefined ? '' : ` (see ${this.dir})`;
    const deadline = Date.now() + timeoutMs;
    while (!(await accepts(this.port, 200))) {
      if (child.exitCode !== null) throw new Error(`redis-server on port ${this.port} exited with ${child.exitCode}${see}`);
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start within ${timeoutMs} ms${see}`);
      await sleep(25);
    }
  }

  /** Kills the server (SIGKILL by default: a crash) and waits until it is gone. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await this.#exited;
    this.#child = undefined;
  }

  /** A plain client of this node (not through Sentinel or Cluster); the caller disconnects it. */
  client(): Redis {
    const redis = new Redis({ host: '127.0.0.1', port: this.port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => undefined);
    return redis;
  }
}

/** A primary, a replica and three sentinels watching them as one master group. */
export interface SentinelSet {
  /** Where its files and logs are. */
  readonly dir: string;
  /** The master group's name. */
  readonly masterName: string;
  /** The data nodes: the first primary, then the replica. */
  readonly nodes: readonly RedisNode[];
  readonly sentinels: readonly RedisNode[];
  /** `redis+sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/<masterName>`, for `connectRedis`. */
  readonly url: string;
  /** The port of the primary, as a majority of the sentinels (two) reports it. */
  primaryPort(): Promise<number>;
  /**
   * Fails the primary over with `SENTINEL FAILOVER` (a planned switch: the replica is promoted, the
   * old primary becomes its replica) and resolves once the sentinels report the new primary and it
   * accepts writes. `ms`: from the command to then.
   */
  failover(timeoutMs?: number): Promise<{ from: number; to: number; ms: number }>;
  /**
   * Kills the primary (SIGKILL) and resolves once the sentinels have elected the replica and it
   * accepts writes; with `restart`, the old primary is started again (empty) and rejoins as a
   * replica. `ms`: from the kill to the new primary.
   */
  killPrimary(options?: { timeoutMs?: number; restart?: boolean }): Promise<{ from: number; to: number; ms: number }>;
  /**
   * Swaps primary and replica by hand, as an operator might, without losing a write: writes paused
   * on the primary (`CLIENT PAUSE WRITE`) until the replica has them all, `REPLICAOF NO ONE` on the
   * replica, every sentinel pointed at it (`SENTINEL REMOVE`, `SENTINEL MONITOR`), `REPLICAOF` on
   * the old primary, writes unpaused. Unlike a Sentinel failover, nothing disconnects the old
   * primary's clients: their connections stay open, and every write on them is answered `READONLY`.
   */
  switchByHand(): Promise<{ from: number; to: number; ms: number }>;
  /** Kills every process and removes the directory. */
  stop(): Promise<void>;
}

/** Options of {@link startSentinelSet}. */
export interface SentinelSetOptions {
  /** Default `mymaster`. */
  masterName?: string;
  /** How long a silent primary takes to be judged down (`down-after-milliseconds`). Default 1000. */
  downAfterMs?: number;
}

/**
 * Starts a Sentinel set and waits until it is whole: the replica in sync with the primary, and
 * every sentinel aware of the replica and of the two other sentinels (so that a failover can be
 * agreed on at once).
 */
export async function startSentinelSet(options: SentinelSetOptions = {}): Promise<SentinelSet> {
  const masterName = options.masterName ?? 'mymaster';
  const downAfterMs = options.downAfterMs ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sentinel-'));
  const nodes: RedisNode[] = [];
  const sentinels: RedisNode[] = [];
  const stop = async () => {
    await Promise.all([...sentinels, ...nodes].map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [primaryPort, replicaPort] = [await freePort(), await freePort()];
    const primary = new RedisNode(primaryPort, DATA_NODE, dir);
    const replica = new RedisNode(replicaPort, [...DATA_NODE, '--replicaof', '127.0.0.1', String(primaryPort)], dir);
    nodes.push(primary, replica);
    await primary.start();
    await replica.start();
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const config = join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its file (what it learned: replicas, other sentinels, the epoch).
      writeFileSync(
        config,
        [
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = new RedisNode(port, [config, '--sentinel'], dir);
      sentinels.push(sentinel);
      await sentinel.start();
    }
    await waitFor(() => replicaInSync(replica), 15_000, 'the replica to sync with the primary');
    await waitFor(
      async () =>
        (await Promise.all(sentinels.map((sentinel) => sentinelSees(sentinel, masterName)))).every((sees) => sees.replicas >= 1 && sees.sentinels >= 2),
      20_000,
      'the sentinels to discover the replica and each other',
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const primaryPort = async (): Promise<number> => {
    const answers = await Promise.all(sentinels.filter((sentinel) => sentinel.running).map((sentinel) => masterAddress(sentinel, masterName)));
    const counts = new Map<number, number>();
    for (const port of answers) if (port !== undefined) counts.set(port, (counts.get(port) ?? 0) + 1);
    const agreed = [...counts].find(([, count]) => count >= 2);
    if (agreed === undefined) throw new Error(`the sentinels do not agree on a primary: ${answers.join(', ')}`);
    return agreed[0];
  };
  /** Waits until a majority of sentinels name a primary other than `from`, and it takes writes. */
  const newPrimary = async (from: number, timeoutMs: number): Promise<number> =>
    waitFor(
      async () => {
        const port = await primaryPort().catch(() => undefined);
        if (port === undefined || port === from) return undefined;
        const node = nodes.find((candidate) => candidate.port === port);
        return node !== undefined && (await acceptsWrites(node)) ? port : undefined;
      },
      timeoutMs,
      'a new primary',
    );

  return {
    dir,
    masterName,
    nodes,
    sentinels,
    url: `redis+sentinel://${sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',')}/${encodeURIComponent(masterName)}`,
    primaryPort,
    async failover(timeoutMs = 20_000) {
      const from = await primaryPort();
      // The replica must be in sync, or Sentinel refuses ("NOGOODSLAVE").
      const replica = nodes.find((node) => node.port !== from)!;
      await waitFor(() => replicaInSync(replica), REJOIN_TIMEOUT_MS, 'the replica to be in sync before the failover');
      const started = Date.now();
      const client = sentinels[0]!.client();
      try {
        await client.connect();
        await client.call('SENTINEL', 'FAILOVER', masterName);
      } finally {
        client.disconnect();
      }
      const to = await newPrimary(from, timeoutMs);
      return { from, to, ms: Date.now() - started };
    },
    async killPrimary({ timeoutMs = 30_000, restart = false } = {}) {
      const from = await primaryPort();
      const old = nodes.find((node) => node.port === from)!;
      const started = Date.now();
      await old.stop('SIGKILL');
      const to = await newPrimary(from, timeoutMs);
      const ms = Date.now() - started;
      if (restart) {
        await old.start();
        // Sentinel turns a returning old primary into a replica only once it has reported itself
        // a primary for 8 s (4 publish periods), and sees that at its next INFO, up to 10 s later.
        await waitFor(() => replicaInSync(old), REJOIN_TIMEOUT_MS, 'the old primary to rejoin as a replica');
      }
      return { from, to, ms };
    },
    async switchByHand() {
      const from = await primaryPort();
      const old = nodes.find((node) => node.port === from)!;
      const promoted = nodes.find((node) => node.port !== from)!;
      await waitFor(() => replicaInSync(promoted), REJOIN_TIMEOUT_MS, 'the replica to be in sync before the switch');
      const started = Date.now();
      await withClient(old, (client) => client.call('CLIENT', 'PAUSE', '10000', 'WRITE'));
      const offset = async (node: RedisNode, field: string) => Number((await replicationInfo(node))?.get(field) ?? -1);
      const written = await offset(old, 'master_repl_offset');
      await waitFor(async () => (await offset(promoted, 'slave_repl_offset')) >= written, 5000, 'the replica to receive every write');
      await withClient(promoted, (client) => client.replicaof('NO', 'ONE'));
      for (const sentinel of sentinels) {
        await withClient(sentinel, async (client) => {
          await client.call('SENTINEL', 'REMOVE', masterName);
          await client.call('SENTINEL', 'MONITOR', masterName, '127.0.0.1', String(promoted.port), '2');
          await client.call('SENTINEL', 'SET', masterName, 'down-after-milliseconds', String(downAfterMs), 'failover-timeout', '10000');
        });
      }
      await withClient(old, async (client) => {
        await client.replicaof('127.0.0.1', promoted.port);
        await client.call('CLIENT', 'UNPAUSE');
      });
      const to = await newPrimary(from, 10_000);
      return { from, to, ms: Date.now() - started };
    },
    stop,
  };
}

/** Three (or more) primaries, the 16384 slots spread over them by `redis-cli --cluster create`. */
export interface RedisClusterSet {
  readonly dir: string;
  readonly nodes: readonly RedisNode[];
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...`, for `connectRedis`. */
  readonly url: string;
  /** Kills every process and removes the directory. */
  stop(): Promise<void>;
}

/** Starts a Redis Cluster of `primaries` primaries (default 3, no replicas) and waits until it is `ok`. */
export async function startRedisCluster(options: { primaries?: number } = {}): Promise<RedisClusterSet> {
  const primaries = options.primaries ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
  const nodes: RedisNode[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < primaries; i += 1) {
      const [port, busPort] = [await freePort(), await freePort()];
      // The bus port given, not the default port + 10000, which may be taken or beyond 65535.
      const node = new RedisNode(
        port,
        [
          ...DATA_NODE,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-port',
          String(busPort),
          '--cluster-node-timeout',
          '2000',
        ],
        dir,
      );
      nodes.push(node);
      await node.start();
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(async () => (await Promise.all(nodes.map(clusterOk))).every(Boolean), 20_000, 'the cluster to be ok on every node');
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir, nodes, url: `redis+cluster://${nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`, stop };
}

/** Every key of a cluster (or of one node) that matches `pattern`, by SCAN on each node. */
export async function scanKeys(nodes: readonly RedisNode[], pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of nodes.filter((candidate) => candidate.running)) {
    await withClient(node, async (client) => {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        found.push(...keys);
      } while (cursor !== '0');
    });
  }
  return found;
}

async function withClient<T>(node: RedisNode, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = node.client();
  try {
    await client.connect();
    return await work(client);
  } finally {
    client.disconnect();
  }
}

/** `INFO replication` of a node as a map, or undefined when it does not answer. */
async function replicationInfo(node: RedisNode): Promise<Map<string, string> | undefined> {
  if (!node.running) return undefined;
  try {
    const info = await withClient(node, (client) => client.info('replication'));
    return new Map(info.split('\r\n').flatMap((line) => (line.includes(':') ? [line.split(':', 2) as [string, string]] : [])));
  } catch {
    return undefined;
  }
}

async function replicaInSync(node: RedisNode): Promise<boolean> {
  const info = await replicationInfo(node);
  return info?.get('role') === 'slave' && info.get('master_link_status') === 'up' && info.get('master_sync_in_progress') === '0';
}

/** Whether a node is a primary that takes a write now. */
async function acceptsWrites(node: RedisNode): Promise<boolean> {
  try {
    return await withClient(node, async (client) => (await client.set('gatehouse-topology:probe', '1', 'PX', 1000)) === 'OK');
  } catch {
    return false;
  }
}

/** What a sentinel knows of the master group: its replicas and the other sentinels. */
async function sentinelSees(sentinel: RedisNode, masterName: string): Promise<{ replicas: number; sentinels: number }> {
  try {
    const fields = (await withClient(sentinel, (client) => client.call('SENTINEL', 'MASTER', masterName))) as string[];
    const field = (name: string) => Number(fields[fields.indexOf(name) + 1] ?? 0);
    return { replicas: field('num-slaves'), sentinels: field('num-other-sentinels') };
  } catch {
    return { replicas: 0, sentinels: 0 };
  }
}

/** The primary's port as one sentinel reports it. */
async function masterAddress(sentinel: RedisNode, masterName: string): Promise<number | undefined> {
  try {
    const address = (await withClient(sentinel, (client) => client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName))) as [string, string] | null;
    return address === null ? undefined : Number(address[1]);
  } catch {
    return undefined;
  }
}

async function clusterOk(node: RedisNode): Promise<boolean> {
  try {
    return (await withClient(node, (client) => client.cluster('INFO'))).includes('cluster_state:ok');
  } catch {
    return false;
  }
}

/** Runs a command to its end; rejects with its output when it fails. */
function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

/** Polls `check` until it returns something other than false or undefined. */
async function waitFor<T>(check: () => Promise<T | false | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== false && result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
