import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import type { CliConfig } from '../config.js';
import type { CliIo } from '../io.js';
import { openRuntime } from '../runtime.js';
import { KeyRing, keyRetentionMs } from '../../server/keys/signing-keys.js';

/** The message a worker sends its primary once it serves requests. */
export interface WorkerReady {
  type: 'gatehouse:ready';
  issuer: string;
  port: number;
}

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

/**
 * The primary of `gatehouse start --workers N` (node:cluster): applies migrations and creates the
 * development secret once, fixes the port, forks N workers sharing it, prints the ready line when
 * all serve, replaces a worker that dies, and on SIGINT/SIGTERM stops them all (each drains its
 * in-flight requests) before exiting.
 */
export async function runPrimary(args: string[], config: CliConfig, io: CliIo, warn: (message: string) => void, json: boolean): Promise<number> {
  const runtime = await openRuntime(config, warn, { create: true });
  try {
    // Keys too, before forking: workers finding none would each make their own, and for a while
    // publish different key sets and refuse each other's tokens.
    await new KeyRing(runtime.store, runtime.secretKeys, keyRetentionMs(Math.max(config.accessTokenTtl, config.idTokenTtl))).load(Date.now());
  } finally {
    await runtime.close();
  }
  const port = config.port === 0 ? await freePort(config.host) : config.port;
  cluster.setupPrimary({ args: ['start', ...withoutFlags(args, ['--workers', '--port']), '--port', String(port)] });
  const env = { GATEHOUSE_WORKERS: '1' };
  let stopping = false;
  const workers = new Set<Worker>();
  const fork = () => {
    const worker = cluster.fork(env);
    workers.add(worker);
    worker.once('exit', (code: number | null, signal: string | null) => {
      workers.delete(worker);
      if (!stopping) {
        io.stderr.write(`warning: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
        fork();
      }
    });
    return worker;
  };
  const ready = await new Promise<WorkerReady>((resolve, reject) => {
    let count = 0;
    for (let i = 0; i < config.workers; i += 1) {
      const worker = fork();
      worker.on('message', (message: WorkerReady | null) => {
        if (message?.type !== 'gatehouse:ready') return;
        count += 1;
        if (count === config.workers) resolve(message);
      });
      worker.once('exit', (code) => {
        if (count < config.workers && !stopping) reject(new Error(`a worker exited with ${code} while starting`));
      });
    }
  }).catch(async (error: unknown) => {
    stopping = true;
    for (const worker of workers) worker.process.kill('SIGTERM');
    throw error;
  });
  const line = { issuer: ready.issuer, port: ready.port, host: config.host, data_dir: config.dataDir, mode: config.mode, workers: config.workers };
  io.stdout.write(json ? `${JSON.stringify(line)}\n` : `Gatehouse is ready at ${ready.issuer} (${config.workers} workers)\n`);

  // A renewed TLS certificate: every worker reloads its own.
  const reload = () => {
    for (const worker of workers) worker.process.kill('SIGHUP');
  };
  process.on('SIGHUP', reload);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGHUP', reload);
      stopping = true;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (workers.size === 0) resolve();
      for (const worker of workers) {
        worker.once('exit', () => {
          if (workers.size === 0) resolve();
        });
        worker.process.kill('SIGTERM');
      }
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
