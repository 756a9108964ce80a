/**
 * `npm start`: Gatehouse on embedded SQLite plus the reference app, in one command. On first start
 * it creates a demo user and the app's clients through the `gatehouse` CLI, as an operator would;
 * started again on other ports, it updates those clients rather than adding more (demo-state.ts).
 * Every `gatehouse` command here runs in development mode (`--dev`; the command's default is
 * production): no GATEHOUSE_SECRET needed, one is generated into the data directory.
 *
 * Gatehouse runs in a child process (`gatehouse start`), the Notes app in this one, and the child
 * never outlives the demo: busy ports are found before anything starts; Ctrl-C, SIGTERM or SIGHUP
 * stop both (exit 0), and so does the end of the process that started the demo (npm); Gatehouse
 * stopping on its own stops the app (exit 1); a failure of the demo stops Gatehouse (exit 1).
 * Errors are one line, never a stack trace. Only SIGKILL of the demo itself, which no process can
 * handle, would leave Gatehouse running.
 */
import { serve, type ServerType } from '@hono/node-server';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadDemoState, type GatehouseJson } from './demo-state.js';
import { createReferenceApp } from './reference-app/app.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'gatehouse.js');
/** Added to every `gatehouse` command: the demo is local, so development mode, said explicitly. */
const DEV = '--dev';
const host = '127.0.0.1';
/** How long Gatehouse may take to stop after SIGTERM (it drains requests for up to 10 s) before SIGKILL. */
const STOP_TIMEOUT_MS = 12_000;

/** An expected failure: its message is the whole story, printed as one line. */
class DemoError extends Error {
  /** 2 for a command line that cannot be understood, as the `gatehouse` command does. */
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Processes the demo started that have not exited: stopped before the demo exits, whatever the reason. */
const children = new Set<ChildProcess>();
let appServer: ServerType | undefined;
let stopping = false;

/** Stops the app and every child process (SIGTERM, then SIGKILL if one hangs), then exits with `code`. */
async function shutDown(code: number, message?: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (message !== undefined) process.stderr.write(`${message}\n`);
  if (appServer) {
    appServer.close();
    if ('closeAllConnections' in appServer) appServer.closeAllConnections();
  }
  await Promise.all([...children].map(stopChild));
  process.exit(code);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      done();
      return;
    }
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** An error's message on one line, without an `error:` of its own. Never a stack trace. */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join(' ');
  return line.replace(/^(error:\s*)+/i, '') || 'unexpected failure';
}

// Installed first: a signal or a failure at any point stops whatever runs by then.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutDown(0));
process.on('uncaughtException', (error) => void shutDown(1, `error: ${oneLine(error)}`));
process.on('unhandledRejection', (error) => void shutDown(1, `error: ${oneLine(error)}`));
// Last resort for a path that exits without shutDown (process.exit elsewhere).
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
// `npm start` runs the demo under `sh -c`, which does not pass on a SIGTERM sent to npm: the demo
// would outlive it. So when the process that started the demo goes away, the demo stops too.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutDown(0);
}, 500).unref();

function spawnChild(args: string[], stdio: ('pipe' | 'ignore')[], env: NodeJS.ProcessEnv): ChildProcess {
  // Its own process group: Ctrl-C reaches the demo only, which then stops Gatehouse once, with
  // SIGTERM, instead of racing the terminal's SIGINT with a signal of its own.
  const child = spawn(process.execPath, [cli, ...args, DEV], { env, stdio, detached: true });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const USAGE = 'npm start -- [--port 3000] [--app-port 3001] [--json]';

interface Options {
  /** Gatehouse's port (`--port`). */
  port: number;
  /** The Notes app's port (`--app-port`). */
  appPort: number;
  json: boolean;
  dataDir: string;
}

function readOptions(): Options {
  let values: { port?: string; 'app-port'?: string; json: boolean };
  try {
    ({ values } = parseArgs({ options: { port: { type: 'string' }, 'app-port': { type: 'string' }, json: { type: 'boolean', default: false } } }));
  } catch (error) {
    throw new DemoError(`${oneLine(error)} (usage: ${USAGE})`, 2);
  }
  const port = portNumber('--port', values.port ?? process.env.GATEHOUSE_PORT ?? '3000');
  const appPort = portNumber('--app-port', values['app-port'] ?? process.env.DEMO_APP_PORT ?? '3001');
  if (port === appPort) throw new DemoError(`--port and --app-port must differ (both are ${port})`, 2);
  return { port, appPort, json: values.json, dataDir: resolve(process.env.GATEHOUSE_DATA_DIR ?? '.gatehouse') };
}

function portNumber(flag: string, text: string): number {
  const value = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= 65_535)) throw new DemoError(`${flag} must be a port number from 1 to 65535, got "${text}" (usage: ${USAGE})`, 2);
  return value;
}

/** One line: which port cannot be used, why, and the command line that picks others. */
function portsMessage(options: Options, problems: { port: number; code: string }[]): string {
  const role = (port: number) => `${port} (${port === options.port ? '--port, Gatehouse' : '--app-port, the Notes app'})`;
  const why = (code: string, many: boolean) => (code === 'EADDRINUSE' ? `${many ? 'are' : 'is'} already in use` : `cannot be used (${code})`);
  const [first, second] = problems;
  const said =
    second === undefined
      ? `port ${role(first!.port)} ${why(first!.code, false)}`
      : second.code === first!.code
        ? `ports ${role(first!.port)} and ${role(second.port)} ${why(first!.code, true)}`
        : `port ${role(first!.port)} ${why(first!.code, false)} and port ${role(second.port)} ${why(second.code, false)}`;
  const other = (port: number) => (port + 1000 <= 65_535 ? port + 1000 : port - 1000);
  return `${said}; pick other ports: npm start -- --port ${other(options.port)} --app-port ${other(options.appPort)}`;
}

/** Why `port` cannot be listened on right now (an error code such as EADDRINUSE), or undefined when it can. */
function portProblem(port: number): Promise<string | undefined> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
    probe.listen(port, host, () => probe.close(() => done(undefined)));
  });
}

/** What a failed `gatehouse` command said on stderr, on one line, without its warnings. */
function reasonOf(stderr: string): string {
  return oneLine(
    stderr
      .split('\n')
      .filter((line) => !line.startsWith('warning:'))
      .join('\n'),
  );
}

/** Runs `gatehouse` commands: resolves to their JSON output (if any); rejects with their error, on one line. */
function gatehouseCommands(env: NodeJS.ProcessEnv): GatehouseJson {
  return <T>(args: string[], stdin?: string) =>
    new Promise<T>((resolvePromise, reject) => {
      const child = spawnChild([...args, '--json'], ['pipe', 'pipe', 'pipe'], env);
      let out = '';
      let err = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('close', (code) => {
        // Some commands (set-password) print nothing on stdout, even with --json.
        if (code === 0) resolvePromise((out.trim() === '' ? undefined : JSON.parse(out)) as T);
        else reject(new DemoError(`gatehouse ${args.slice(0, 2).join(' ')} failed: ${reasonOf(err) || `exit ${code}`}`));
      });
      child.stdin!.on('error', () => undefined); // it may exit before reading its input
      child.stdin!.end(stdin ?? '');
    });
}

/**
 * Starts `gatehouse start` and resolves once it is ready. What it writes to stderr until then is
 * held back: shown once it is ready or, if it fails, replaced by one line saying why.
 */
function startGatehouse(options: Options, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnChild(['start', '--host', host, '--port', String(options.port), '--json'], ['ignore', 'pipe', 'pipe'], env);
    let ready = false;
    let heldBack = '';
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (ready) process.stderr.write(`${line}\n`);
      else heldBack += `${line}\n`;
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!ready && line.startsWith('{"issuer"')) {
        ready = true;
        process.stderr.write(heldBack);
        resolvePromise(child);
      } else if (!line.includes('"level":30')) {
        process.stdout.write(`${line}\n`);
      }
    });
    child.once('exit', (code, signal) => {
      if (ready) return;
      // Taken between the check and now.
      if (heldBack.includes('EADDRINUSE')) {
        reject(new DemoError(portsMessage(options, [{ port: options.port, code: 'EADDRINUSE' }])));
        return;
      }
      const reason = reasonOf(heldBack);
      reject(new DemoError(`gatehouse start stopped before it was ready (${signal ?? `exit ${code}`})${reason ? `: ${reason}` : ''}`));
    });
  });
}

type FetchCallback = Parameters<typeof serve>[0]['fetch'];

/** Listens on the app's port; answers 503 until the app is set with `serveApp`. */
function listenApp(options: Options): Promise<{ server: ServerType; serveApp: (app: { fetch: FetchCallback }) => void }> {
  let current: FetchCallback | undefined;
  const starting = () => new Response('Gatehouse is starting: reload in a moment.\n', { status: 503, headers: { 'Retry-After': '1' } });
  return new Promise((resolvePromise, reject) => {
    const server = serve({ fetch: (request, env) => (current ? current(request, env) : starting()), hostname: host, port: options.appPort });
    server.once('listening', () => resolvePromise({ server, serveApp: (app) => (current = app.fetch) }));
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new DemoError(portsMessage(options, [{ port: options.appPort, code: error.code ?? 'error' }]))),
    );
  });
}

async function main(): Promise<void> {
  const options = readOptions();
  const env = {
    ...process.env,
    GATEHOUSE_DATA_DIR: options.dataDir,
    GATEHOUSE_LOG_LEVEL: process.env.GATEHOUSE_LOG_LEVEL ?? 'warn',
    // Anyone may create an account from the sign-in page ("Create an account"; the browser solves
    // the proof of work, left on). Passwordless stays off: the demo shows the password sign-in
    // its printed user has, and one way to sign in is enough to follow; set
    // GATEHOUSE_PASSWORDLESS=email to try "Email me a sign-in code".
    GATEHOUSE_SIGN_UP: process.env.GATEHOUSE_SIGN_UP ?? 'open',
  };
  const outbox = join(options.dataDir, 'outbox.jsonl');
  const issuer = `http://${host}:${options.port}`;
  const appUrl = `http://${host}:${options.appPort}`;

  // Both ports before anything starts (a half-started demo is what leaves processes behind).
  const checked = await Promise.all([options.port, options.appPort].map(async (port) => ({ port, code: await portProblem(port) })));
  const problems = checked.filter((problem): problem is { port: number; code: string } => problem.code !== undefined);
  if (problems.length > 0) throw new DemoError(portsMessage(options, problems));

  const state = await loadDemoState({ dataDir: options.dataDir, issuer, appUrl }, gatehouseCommands(env));
  // The app's port first: once Gatehouse runs, nothing is left to fail but Gatehouse itself.
  const { server, serveApp } = await listenApp(options);
  appServer = server;
  server.on('error', (error) => void shutDown(1, `error: ${oneLine(error)}`));
  const gatehouse = await startGatehouse(options, env);
  gatehouse.once('exit', (code, signal) => void shutDown(1, `error: Gatehouse stopped unexpectedly (${signal ?? `exit ${code}`}); stopped the Notes app too`));
  serveApp(
    createReferenceApp({
      issuer,
      appUrl,
      clientId: state.web.clientId,
      clientSecret: state.web.clientSecret,
      sessionSecret: state.sessionSecret,
      allowInsecureRequests: true, // plain http, loopback only: the local demo
    }),
  );

  if (options.json) {
    process.stdout.write(`${JSON.stringify({ issuer, app: appUrl, username: state.user.username, password: state.user.password, outbox })}\n`);
  } else {
    process.stdout.write(`
  Gatehouse    ${issuer}
  Notes app    ${appUrl}    <- open this and press "Sign in with Gatehouse"
  Sign in as   ${state.user.username} / ${state.user.password}    (or "Create an account" on the sign-in page)
  Emails       ${relative(process.cwd(), outbox) || outbox}    (development: not sent; each link is also shown here)

  Machine client example: node dist-examples/machine-client.js
  Ctrl-C stops both.
`);
  }
}

try {
  await main();
} catch (error) {
  await shutDown(error instanceof DemoError ? error.exitCode : 1, `error: ${oneLine(error)}`);
}
