/**
 * Drives the real `gatehouse` command (the compiled dist/, as bin/gatehouse.js runs it): `start` in
 * child processes, the way an operator does, and the other commands in-process through the same
 * `main(argv, io)`. Build first: `npm run build` (`npm test` does).
 *
 * Every process started here is tracked; call {@link killAll} in `afterAll`/`afterEach` so that no
 * test leaves a server running, even when it failed half-way.
 *
 * Like the command, a run is in production mode unless it says otherwise: `dev: true` adds `--dev`
 * (a secret generated into the data directory, the outbox for one-time codes); otherwise pass
 * `GATEHOUSE_SECRET` in `env`. Every command on one data directory should use the same choice.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CliIo } from '../../src/cli/io.js';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The command as installed: `bin/gatehouse.js`. */
const BIN = join(REPO_ROOT, 'bin', 'gatehouse.js');

if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
  throw new Error('dist/cli/main.js is missing: run "npm run build" before the CLI tests ("npm test" does)');
}

/** Processes still running; {@link killAll} ends them. */
const running = new Set<ChildProcess>();

// Last resort if a test file forgot killAll: never leave a listening server behind the test run.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The parent's environment without any `GATEHOUSE_*` variable (and without `NODE_ENV`, which the
 * command ignores, so that tests that set it see only their own value), plus `extra`. A variable set
 * to `undefined` in `extra` is left out.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('GATEHOUSE_') || key === 'NODE_ENV' || Object.hasOwn(extra, key)) continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** A fresh temporary directory to run the command in, with `data/` as its data directory. */
export interface Workspace {
  /** The working directory (where `gatehouse.config.json` is looked for). */
  cwd: string;
  /** `<cwd>/data`, passed as `--data`. */
  dataDir: string;
  /** Removes the directory. */
  remove(): void;
}

export function createWorkspace(): Workspace {
  const cwd = mkdtempSync(join(tmpdir(), 'gh-'));
  return { cwd, dataDir: join(cwd, 'data'), remove: () => rmSync(cwd, { recursive: true, force: true }) };
}

export interface RunOptions {
  cwd: string;
  /** Added to {@link cleanEnv}; the parent's GATEHOUSE_* variables are never passed on. */
  env?: Record<string, string | undefined>;
  /** Development mode: adds `--dev`. Default: production, which needs `GATEHOUSE_SECRET` in `env`. */
  dev?: boolean;
  /** Written to standard input, which is then closed. Without it standard input is closed at once. */
  stdin?: string;
  /** Kill the command after this long (the result then has `code: null`). Default 15 s. */
  timeoutMs?: number;
  /** `false`: spawn the real binary even for a command that runs in-process by default. */
  inProcess?: boolean;
}

export interface RunResult {
  /** Exit status; `null` when the command was killed (e.g. it timed out). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `gatehouse ...args` to completion. Every command but `start` runs in this process, through
 * the command's own `main(argv, io)` from dist/ (what bin/gatehouse.js calls) with its own streams,
 * environment and working directory: the same code as the binary, without starting Node for each
 * call. `start` (a server, signals, workers) and `inProcess: false` spawn the real binary.
 */
export function runCli(args: string[], options: RunOptions): Promise<RunResult> {
  if (args[0] !== 'start' && options.inProcess !== false) return runInProcess(args, options);
  return runBinary(args, options);
}

let cliMain: Promise<(argv: string[], io: CliIo) => Promise<number>> | undefined;

async function runInProcess(args: string[], options: RunOptions): Promise<RunResult> {
  cliMain ??= import(pathToFileURL(join(REPO_ROOT, 'dist', 'cli', 'main.js')).href).then(
    (module: { main: (argv: string[], io: CliIo) => Promise<number> }) => module.main,
  );
  const main = await cliMain;
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const io: CliIo = {
    stdout: sink((text) => (stdout += text)),
    stderr: sink((text) => (stderr += text)),
    stdin: Readable.from([options.stdin ?? '']),
    env: cleanEnv(options.env),
    cwd: options.cwd,
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), options.timeoutMs ?? 15_000);
  });
  try {
    const code = await Promise.race([main([...args, ...devFlag(options)], io), timedOut]);
    return { code, stdout, stderr };
  } catch (error) {
    // The binary would print it and exit 1 (an uncaught rejection): the same, here.
    return { code: 1, stdout, stderr: `${stderr}${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n` };
  } finally {
    clearTimeout(timer);
  }
}

function runBinary(args: string[], options: RunOptions): Promise<RunResult> {
  const child = spawn(process.execPath, [BIN, ...args, ...devFlag(options)], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => undefined); // the command may exit before reading its input
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parses the JSON a `--json` command printed, failing with its output when it is not JSON. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T names the shape the caller expects, unchecked, as with `response.json() as T`
export function parseJson<T = Record<string, unknown>>(result: RunResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout (exit ${result.code})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

/** Runs a command that must succeed; fails with its output otherwise. */
export async function runCliOk(args: string[], options: RunOptions): Promise<RunResult> {
  const result = await runCli(args, options);
  if (result.code !== 0) {
    throw new Error(`gatehouse ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return result;
}

export interface StartOptions {
  cwd: string;
  dataDir: string;
  env?: Record<string, string | undefined>;
  /** Development mode: adds `--dev`. Default: production, which needs `GATEHOUSE_SECRET` in `env`. */
  dev?: boolean;
  /** Default 0: any free port. */
  port?: number;
  /** More flags for `gatehouse start`. */
  args?: string[];
  /** Fail when not ready within this long. Default 15 s. */
  readyTimeoutMs?: number;
}

/** A `gatehouse start` process that printed its ready line. */
export interface RunningServer {
  issuer: string;
  port: number;
  /** The process id. */
  pid: number;
  /** Sends `signal` (default SIGTERM) and resolves to the exit code (`null` if killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Everything printed so far. */
  output(): { stdout: string; stderr: string };
}

/**
 * Starts `gatehouse start --port 0 --json --data <dataDir>` and resolves once it printed the ready
 * line (a JSON line with `issuer` and `port` and no log `level`). Rejects with the output if the
 * process exits first or takes too long.
 */
export function startServer(options: StartOptions): Promise<RunningServer> {
  const args = [BIN, 'start', '--port', String(options.port ?? 0), '--json', '--data', options.dataDir, ...devFlag(options), ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => {
      exitCode = code;
      running.delete(child);
      resolve(code);
    });
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const output = () => ({ stdout, stderr });

  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`gatehouse start ${reason}\nstdout: ${stdout}\nstderr: ${stderr}`));
    };
    const timer = setTimeout(() => fail('was not ready in time'), options.readyTimeoutMs ?? 15_000);
    let announced = false;
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (announced) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const ready = readyLine(line);
        if (!ready) continue;
        announced = true;
        clearTimeout(timer);
        resolve({
          ...ready,
          pid: child.pid!,
          output,
          async stop(signal: NodeJS.Signals = 'SIGTERM') {
            if (exitCode !== undefined) return exitCode;
            child.kill(signal);
            const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
            try {
              return await exited;
            } finally {
              clearTimeout(killer);
            }
          },
        });
        return;
      }
    });
    child.once('error', (error) => fail(`could not be spawned: ${error.message}`));
    void exited.then((code) => {
      if (!announced) fail(`exited with ${code} before it was ready`);
    });
  });
}

/** `--dev` when a run asks for development mode. Appended, so it never takes a command's place. */
function devFlag(options: { dev?: boolean }): string[] {
  return options.dev ? ['--dev'] : [];
}

function readyLine(line: string): { issuer: string; port: number } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || 'level' in value) return undefined;
  const { issuer, port } = value as { issuer?: unknown; port?: unknown };
  return typeof issuer === 'string' && typeof port === 'number' ? { issuer, port } : undefined;
}

/** Kills every process this helper started that is still running, and waits for them to exit. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  running.clear();
}

/** Polls `check` until it returns a value other than `undefined`/`false`, or fails after `timeoutMs`. */
export async function pollUntil<T>(check: () => Promise<T | undefined | false>, { timeoutMs = 10_000, intervalMs = 100, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** `Authorization: Basic` for a client (RFC 6749 §2.3.1: each part form-urlencoded first). */
export function basicAuth(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** POSTs a form to `url`, authenticated with Basic when credentials are given. */
export function postForm(url: string, form: Record<string, string>, credentials?: { clientId: string; clientSecret: string }): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (credentials) headers.authorization = basicAuth(credentials.clientId, credentials.clientSecret);
  return fetch(url, { method: 'POST', headers, body: new URLSearchParams(form) });
}

/** The processes whose parent is `pid` (the workers of `gatehouse start --workers N`), with their command names. */
export function childProcesses(pid: number): { pid: number; command: string }[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are none
  }
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [childPid, command] = line.trim().split(/\s+/);
      return { pid: Number(childPid), command: command! };
    });
}

/** Whether a process with this pid runs. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ends (SIGKILL) each of `pids` that still runs `gatehouse`: a worker that outlived its primary in a
 * failed test. A pid reused meanwhile by another program is left alone.
 */
export function killLeftoverGatehouse(pids: Iterable<number>): void {
  for (const pid of pids) {
    let command: string;
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone
    }
    if (command.includes('gatehouse.js')) process.kill(pid, 'SIGKILL');
  }
}
