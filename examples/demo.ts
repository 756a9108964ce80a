/**
 * `npm start`: Gatehouse on embedded SQLite plus the reference app, in one command. On first start
 * it creates a demo user and the app's clients through the `gatehouse` CLI, as an operator would.
 * Every `gatehouse` command here runs in development mode (`--dev`; the command's default is
 * production): no GATEHOUSE_SECRET needed, one is generated into the data directory.
 * Ctrl-C stops both.
 */
import { serve } from '@hono/node-server';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DemoState } from './demo-state.js';
import { apiAudience, createReferenceApp } from './reference-app/app.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'gatehouse.js');
/** Added to every `gatehouse` command: the demo is local, so development mode, said explicitly. */
const DEV = '--dev';
const { values } = parseArgs({
  options: { port: { type: 'string' }, 'app-port': { type: 'string' }, json: { type: 'boolean', default: false } },
});
const host = '127.0.0.1';
const port = Number(values.port ?? process.env.GATEHOUSE_PORT ?? 3000);
const appPort = Number(values['app-port'] ?? process.env.DEMO_APP_PORT ?? 3001);
const dataDir = resolve(process.env.GATEHOUSE_DATA_DIR ?? '.gatehouse');
const env = { ...process.env, GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: process.env.GATEHOUSE_LOG_LEVEL ?? 'warn' };
const issuer = `http://${host}:${port}`;
const appUrl = `http://${host}:${appPort}`;

/** Runs a `gatehouse` command and returns its JSON output. */
function gatehouseJson(args: string[], stdin?: string): Promise<Record<string, string>> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args, DEV, '--json'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('close', (code) => (code === 0 ? resolvePromise(JSON.parse(out) as Record<string, string>) : reject(new Error(`gatehouse ${args.join(' ')} failed: ${err}`))));
    child.stdin.end(stdin ?? '');
  });
}

/** The demo user and clients: created on first start, or again when the app's URL changed. */
async function demoState(): Promise<DemoState> {
  const file = join(dataDir, 'demo.json');
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoState) : undefined;
  if (saved && saved.appUrl === appUrl && saved.issuer === issuer) return saved;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const audience = apiAudience(appUrl);
  let user = saved?.user;
  if (!user) {
    user = { username: 'demo', password: randomBytes(9).toString('base64url') };
    await gatehouseJson(['users', 'add', '--username', user.username, '--email', 'demo@example.com', '--email-verified', '--name', 'Demo User', '--password-stdin'], user.password);
  }
  const web = await gatehouseJson(['clients', 'add', '--name', 'Notes (reference app)', '--redirect-uri', `${appUrl}/authorize`, '--post-logout-redirect-uri', `${appUrl}/`, '--scope', 'openid profile email offline_access notes:read', '--resource', audience]);
  const machine = await gatehouseJson(['clients', 'add', '--name', 'Notes nightly job', '--grant', 'client_credentials', '--scope', 'notes:read', '--resource', audience]);
  const state: DemoState = {
    issuer,
    appUrl,
    apiAudience: audience,
    sessionSecret: saved?.sessionSecret ?? randomBytes(32).toString('base64url'),
    user,
    web: { clientId: web.client_id!, clientSecret: web.client_secret! },
    machine: { clientId: machine.client_id!, clientSecret: machine.client_secret! },
  };
  writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  return state;
}

/** Starts `gatehouse start` and resolves once it is ready. */
function startGatehouse(): Promise<ChildProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, 'start', '--host', host, '--port', String(port), DEV, '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('{"issuer"')) resolvePromise(child);
      else if (!line.includes('"level":30')) process.stdout.write(`${line}\n`);
    });
    child.once('exit', (code) => reject(new Error(`gatehouse start exited with ${code}`)));
  });
}

const state = await demoState();
const gatehouseProcess = await startGatehouse();
const app = createReferenceApp({
  issuer,
  appUrl,
  clientId: state.web.clientId,
  clientSecret: state.web.clientSecret,
  sessionSecret: state.sessionSecret,
  allowInsecureRequests: true, // plain http, loopback only: the local demo
});
const http = serve({ fetch: app.fetch, hostname: host, port: appPort });
await new Promise<void>((ready) => http.once('listening', () => ready()));

if (values.json) {
  process.stdout.write(`${JSON.stringify({ issuer, app: appUrl, username: state.user.username, password: state.user.password })}\n`);
} else {
  process.stdout.write(`
  Gatehouse    ${issuer}
  Notes app    ${appUrl}    <- open this and press "Sign in with Gatehouse"
  Sign in as   ${state.user.username} / ${state.user.password}

  Machine client example: node dist-examples/machine-client.js
  Ctrl-C stops both.
`);
}

let stopping = false;
const stop = () => {
  stopping = true;
  http.close();
  if ('closeAllConnections' in http) http.closeAllConnections();
  gatehouseProcess.kill('SIGTERM');
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
gatehouseProcess.once('exit', (code) => {
  if (!stopping) process.stderr.write(`gatehouse stopped unexpectedly (${code})\n`);
  process.exit(stopping ? 0 : 1);
});
