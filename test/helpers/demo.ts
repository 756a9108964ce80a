/**
 * Runs `npm start`'s demo (dist-examples/demo.js, built by `npm run build`) the way a newcomer sees
 * it: stdout and stderr in one stream, in the order printed. Every demo started here, and every
 * `gatehouse start` it left behind, is killed by {@link killDemos}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, REPO_ROOT } from './cli.js';

const DEMO = join(REPO_ROOT, 'dist-examples', 'demo.js');

if (!existsSync(DEMO)) throw new Error('dist-examples/demo.js is missing: run "npm run build" first');

export interface RunningDemo {
  /** The demo's process id. */
  pid: number;
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves to the output once it matches `pattern`; rejects if the demo exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the demo has exited (and its output was read). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<ChildProcess>();
const ports = new Set<number>();

/** Starts `node dist-examples/demo.js --port PORT --app-port APP_PORT ...extra` with GATEHOUSE_DATA_DIR=dataDir. */
export function startDemo(options: { cwd: string; dataDir: string; port: number; appPort: number; extra?: string[] }): RunningDemo {
  ports.add(options.port);
  // `exec` under bash: the same process, with stderr sent into stdout's pipe, so the order holds.
  const args = ['--port', String(options.port), '--app-port', String(options.appPort), ...(options.extra ?? [])];
  const child = spawn('bash', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, DEMO, ...args], {
    cwd: options.cwd,
    env: cleanEnv({ GATEHOUSE_DATA_DIR: options.dataDir }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  started.add(child);
  let output = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    for (const listener of listeners) listener();
  });
  // On exit, not on close: a process the demo left behind would hold the output pipe open. What
  // is still in the pipe is read for a moment longer.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      started.delete(child);
      const drained = new Promise((done) => child.stdout.once('close', done));
      void Promise.race([drained, new Promise((done) => setTimeout(done, 500))]).then(() => {
        for (const listener of listeners) listener();
        resolve({ code, signal });
      });
    });
  });
  return {
    pid: child.pid!,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) done(() => resolve(output));
          else if (child.exitCode !== null || child.signalCode !== null)
            done(() => reject(new Error(`the demo exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${output}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`the demo did not print ${pattern} within ${timeoutMs} ms:\n${output}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Process ids of the `gatehouse start` processes serving `port` (read from /proc: Linux). */
export function gatehouseServing(port: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    const at = args.indexOf('--port');
    if (args.some((arg) => arg.endsWith('bin/gatehouse.js')) && args.includes('start') && at !== -1 && args[at + 1] === String(port)) found.push(Number(entry));
  }
  return found;
}

/** Kills every demo started here and any `gatehouse start` still serving one of their ports. */
export async function killDemos(): Promise<void> {
  await Promise.all(
    [...started].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          child.once('exit', () => resolve()); // not 'close': a process left behind may hold the pipe
          child.kill('SIGKILL');
        }),
    ),
  );
  for (const port of ports) for (const pid of gatehouseServing(port)) process.kill(pid, 'SIGKILL');
}
