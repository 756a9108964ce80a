import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import { KeyRing, keyRetentionMs } from '../../server/keys/signing-keys.js';
import { createCommandLogger } from '../../server/observability/ecs-log.js';
import type { CliConfig } from '../config.js';
import type { CliIo } from '../io.js';
import { DRAIN_TIMEOUT_MS, restartOnlyChanges, type ClusterMessage, type ProcessControl } from '../process-control.js';
import { openRuntime } from '../runtime.js';

/** The message a worker sends its primary once it serves requests. */
export type WorkerReady = Extract<ClusterMessage, { type: 'gatehouse:ready' }>;

/** How long after a stop request the primary waits for a worker before killing it: its drain, its audit queue and its stores. */
const WORKER_STOP_LIMIT_MS = DRAIN_TIMEOUT_MS + 15_000;
/** A worker that died before it was ready is replaced after this pause, not in a tight loop (the database may be down). */
const RESPAWN_DELAY_MS = 1_000;

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** `args` without `--workers N` and `--port N`, in both `--flag value` and `--flag=value` forms. */
function withoutFlags(args: string[], flags: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (flags.includes(arg)) {
      i += 1;
      continue;
    }
    if (flags.some((flag) => arg.startsWith(`${flag}=`))) continue;
    kept.push(arg);
  }
  return kept;
}

/** Sends a message to a worker, if its channel is still open. */
function tell(worker: Worker, message: ClusterMessage): void {
  if (!worker.isConnected()) return;
  try {
    worker.send(message, () => undefined);
  } catch {
    // It is exiting: its exit is handled where it is awaited.
  }
}

function exited(worker: Worker): Promise<void> {
  if (worker.isDead()) return Promise.resolve();
  return new Promise((resolve) => worker.once('exit', () => resolve()));
}

/**
 * The primary of `gatehouse start --workers N` (node:cluster): applies migrations and creates the
 * development secret once, fixes the port, forks N workers sharing it, prints the ready line when
 * all serve, replaces a worker that dies, reloads on SIGHUP by replacing the workers one at a time,
 * and on SIGINT/SIGTERM stops them all (each drains its in-flight requests) before exiting.
 *
 * The workers accept connections themselves on the shared socket (`SCHED_NONE`). With node's
 * default round-robin the primary accepts every connection and hands it to a worker: one handed
 * to a worker that is stopping or dying is never answered, and the primary holds it open for
 * good. Here the primary never holds a connection; the socket stays open as long as one worker
 * listens, and a connection waits in its queue for whichever worker accepts next.
 */
export async function runPrimary(
  args: string[],
  config: CliConfig,
  readConfig: () => CliConfig,
  io: CliIo,
  warn: (message: string) => void,
  json: boolean,
  control: ProcessControl,
): Promise<number> {
  const runtime = await openRuntime(config, warn, { create: true });
  try {
    // Keys too, before forking: workers finding none would each make their own, and for a while
    // publish different key sets and refuse each other's tokens.
    await new KeyRing(runtime.store, runtime.secretKeys, keyRetentionMs(Math.max(config.accessTokenTtl, config.idTokenTtl))).load(Date.now());
  } finally {
    await runtime.close();
  }
  const port = config.port === 0 ? await freePort(config.host) : config.port;
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ args: ['start', ...withoutFlags(args, ['--workers', '--port']), '--port', String(port)] });
  const logger = await createCommandLogger(config.logLevel, config.logFormat);
  const env = { GATEHOUSE_WORKERS: '1' };
  let stopping = false;
  // A function, not the variable, where an await separates two reads (the compiler would assume it unchanged).
  const isStopping = () => stopping;
  /** Every worker alive: starting, serving or stopping. */
  const workers = new Set<Worker>();
  /** Each worker's ready message, or `undefined` once it exited without one. */
  const ready = new Map<Worker, Promise<WorkerReady | undefined>>();
  const serving = new WeakSet<Worker>();
  /** Workers a reload asked to stop: not replaced when they exit. */
  const retiring = new WeakSet<Worker>();
  /** Workers whose listener is closed, and those of them told to drain. */
  const listenerClosed = new Set<Worker>();
  const drainGranted = new WeakSet<Worker>();

  // A stopping worker closes its listener, then waits for word to drain (answer its kept-alive
  // connections with `Connection: close`). When the others go on listening, at once. When all
  // stop, only once every listener is closed: node then closes the shared socket, and a client
  // told to reconnect is refused (and tries elsewhere) rather than queued on a socket about to be
  // closed under it, which would reset its request.
  const grantDrains = () => {
    const allClosed = [...workers].every((worker) => listenerClosed.has(worker));
    for (const worker of listenerClosed) {
      if (drainGranted.has(worker) || (stopping && !allClosed)) continue;
      drainGranted.add(worker);
      tell(worker, { type: 'gatehouse:drain' });
    }
  };

  /** Forks a worker. `trial` (at start, and in a reload): if it exits before it is ready, it is not replaced. */
  const fork = (trial: boolean): Worker => {
    const worker = cluster.fork(env);
    workers.add(worker);
    ready.set(
      worker,
      new Promise<WorkerReady | undefined>((resolve) => {
        worker.on('message', (message: ClusterMessage | null) => {
          if (message?.type === 'gatehouse:ready') {
            serving.add(worker);
            resolve(message);
          } else if (message?.type === 'gatehouse:listener-closed') {
            listenerClosed.add(worker);
            grantDrains();
          }
        });
        worker.once('exit', () => resolve(undefined));
      }),
    );
    worker.once('exit', (code: number | null, signal: string | null) => {
      workers.delete(worker);
      ready.delete(worker);
      listenerClosed.delete(worker);
      grantDrains();
      if (stopping || retiring.has(worker) || (trial && !serving.has(worker))) return;
      io.stderr.write(`warning: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
      if (serving.has(worker)) fork(false);
      else setTimeout(() => stopping || fork(false), RESPAWN_DELAY_MS);
    });
    return worker;
  };

  /**
   * Asks a worker to stop, as SIGTERM does, and resolves once it exited; killed if it takes longer
   * than {@link WORKER_STOP_LIMIT_MS}. One still starting may not listen for messages yet: a signal
   * reaches it at any time (and before its handlers are installed ends it, which is as good: it
   * serves nothing yet).
   */
  const stopWorker = async (worker: Worker): Promise<void> => {
    const gone = exited(worker);
    if (serving.has(worker)) tell(worker, { type: 'gatehouse:stop' });
    else worker.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      io.stderr.write(`warning: worker ${worker.process.pid} did not stop within ${WORKER_STOP_LIMIT_MS / 1000} s; killing it\n`);
      worker.process.kill('SIGKILL');
    }, WORKER_STOP_LIMIT_MS);
    await gone;
    clearTimeout(killer);
  };

  const stopAll = async (): Promise<void> => {
    stopping = true;
    const stops = [...workers].map(stopWorker);
    grantDrains();
    await Promise.all(stops);
  };

  const first = Array.from({ length: config.workers }, () => fork(true));
  const failed = new Promise<Worker>((resolve) => {
    for (const worker of first) void ready.get(worker)!.then((message) => message ?? resolve(worker));
  });
  const started = await Promise.race([Promise.all(first.map((worker) => ready.get(worker)!)), failed, control.stopped.then(() => 'stopped' as const)]);
  if (started === 'stopped') {
    await stopAll();
    return 0;
  }
  if (!Array.isArray(started)) {
    await stopAll();
    throw new Error(`a worker exited with ${started.process.exitCode ?? started.process.signalCode} while starting`);
  }
  const { issuer } = started[0]!;
  const line = { issuer, port, host: config.host, data_dir: config.dataDir, mode: config.mode, workers: config.workers };
  io.stdout.write(json ? `${JSON.stringify(line)}\n` : `Gatehouse is ready at ${issuer} (${config.workers} workers)\n`);

  // SIGHUP: the configuration is checked here, then each worker is replaced by a new one (which
  // reads the configuration file and the TLS files afresh): the new one first, and once it serves,
  // the old one stops as on SIGTERM. One reload at a time; SIGHUPs meanwhile make one more after.
  const rollOver = async (): Promise<void> => {
    let next: CliConfig;
    try {
      next = readConfig();
    } catch (error) {
      logger.error({ event: 'reload.failed', err: error }, 'reload failed: the configuration cannot be read; the workers go on as they are');
      return;
    }
    const changed = restartOnlyChanges(config, next);
    if (changed.length > 0) {
      logger.error(
        { event: 'reload.failed', settings: changed },
        `reload refused: ${changed.join(', ')} changed, which only a restart applies; the workers go on as they are`,
      );
      return;
    }
    for (const old of [...workers]) {
      if (stopping) return;
      if (!workers.has(old) || retiring.has(old)) continue;
      const fresh = fork(true);
      if (!(await ready.get(fresh))) {
        if (isStopping()) return;
        logger.error(
          { event: 'reload.failed', worker: fresh.process.pid },
          'reload failed: a new worker exited before it was ready; the other workers go on as they are',
        );
        return;
      }
      if (isStopping()) return;
      if (!workers.has(old)) continue;
      retiring.add(old);
      await stopWorker(old);
    }
    logger.info({ event: 'reload.succeeded', workers: [...workers].map((worker) => worker.process.pid) }, 'reloaded: every worker replaced');
  };
  let rolling = false;
  let rollAgain = false;
  control.onReload(() => {
    rollAgain = true;
    if (rolling) return;
    rolling = true;
    void (async () => {
      while (rollAgain && !stopping) {
        rollAgain = false;
        await rollOver();
      }
      rolling = false;
    })();
  });

  await control.stopped;
  await stopAll();
  return 0;
}
