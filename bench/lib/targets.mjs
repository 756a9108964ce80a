/**
 * The processes under load: each server (and each in-process case) runs in its own child process,
 * so CPU time and peak RSS are read per process from /proc, and the load generator (this process)
 * never shares an event loop with what it measures.
 */
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Browser } from './browser.mjs';
import { API, API_SCOPE, authorizeQuery, basic, form, pkce, REDIRECT_URI } from './fixtures.mjs';

const BENCH = new URL('..', import.meta.url);

/**
 * Every process the benchmark can start: which script, which side of the comparison, and whether
 * it is loaded over HTTP or runs its operation in process (`inProcess`).
 */
export const PROCESSES = {
  'gatehouse-memory': { script: 'servers/gatehouse.mjs', args: ['memory'], label: 'Gatehouse (memory store)', gatehouse: true },
  'gatehouse-sqlite': { script: 'servers/gatehouse.mjs', args: ['sqlite'], label: 'Gatehouse (SQLite store)', gatehouse: true },
  // `services`: PostgreSQL and Redis work for it in processes of their own (see servers/pg-redis.mjs).
  'gatehouse-pg-redis': {
    script: 'servers/gatehouse.mjs',
    args: ['pg-redis'],
    label: 'Gatehouse (PostgreSQL + Redis)',
    gatehouse: true,
    services: true,
  },
  peer: { script: 'servers/peer.mjs', args: [], label: 'oidc-provider (Map adapter)' },
  'floor-node': { script: 'servers/floor.mjs', args: ['node'], label: 'node:http' },
  'floor-hono': { script: 'servers/floor.mjs', args: ['hono'], label: 'Hono on @hono/node-server' },
  'floor-koa': { script: 'servers/floor.mjs', args: ['koa'], label: 'Koa' },
  'guard-gatehouse': { script: 'inproc/guard.mjs', args: ['guard'], label: 'createResourceGuard().verify', gatehouse: true, inProcess: true },
  'guard-jose': { script: 'inproc/guard.mjs', args: ['jose'], label: 'jose.jwtVerify', inProcess: true },
  argon2: { script: 'inproc/argon2.mjs', args: [], label: 'argon2id verify (libuv pool)', inProcess: true, unit: 'verifies/s' },
};

/** The peer prints these on every start; they say what the configuration already says. */
const KNOWN_NOISE = /^oidc-provider WARNING: (Unsupported runtime|a quick start development-only feature)/;

/** Thrown by {@link startProcess} when the process cannot run on this machine (`reason` says why). */
export class SkippedProcess extends Error {
  constructor(name, reason) {
    super(`${name}: ${reason}`);
    this.process = name;
    this.reason = reason;
  }
}

/**
 * Starts one process and waits for its `ready` message. With `profileDir`, it runs under
 * `node --cpu-prof` and writes its profile into `profileDir/<name>/` when stopped.
 * @param {string} name a key of {@link PROCESSES}
 * @param {{ profileDir?: string, setup?: unknown }} options `setup` is sent as the first message
 * @throws {SkippedProcess} when a service the process needs is unreachable
 */
export async function startProcess(name, { profileDir, setup } = {}) {
  const spec = PROCESSES[name];
  if (!spec) throw new Error(`unknown process "${name}"`);
  const execArgv = [];
  if (profileDir) {
    const directory = join(profileDir, name);
    mkdirSync(directory, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${directory}`);
  }
  const child = fork(new URL(spec.script, BENCH), spec.args, { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  createInterface({ input: child.stderr }).on('line', (line) => {
    if (!KNOWN_NOISE.test(line)) process.stderr.write(`[${name}] ${line}\n`);
  });
  if (setup !== undefined) child.send(setup);
  const ready = await new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`${name} exited with code ${code} before it was ready`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      if (message?.type === 'skip') reject(new SkippedProcess(name, message.reason));
      else resolve(message);
    });
  });
  /** Sends `message` and resolves with the child's next message of type `type`. */
  const ask = (message, type) =>
    new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(`${name} exited with code ${code}`));
      const onMessage = (reply) => {
        if (reply?.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(reply);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(message);
    });
  return {
    name,
    label: spec.label,
    pid: child.pid,
    port: ready.port,
    info: ready.info ?? {},
    child,
    /** Asks the process to exit (writing its CPU profile), killing it if it takes too long. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    /** Runs an in-process case for `seconds` with `concurrency` operations in flight. */
    run(seconds, concurrency) {
      return ask({ type: 'run', seconds, concurrency }, 'result');
    },
    /**
     * A process with `services` only: SQL statements and Redis commands sent so far, and the pids
     * of the PostgreSQL and Redis processes serving it (`{ sqlStatements, redisCommands, servicePids }`).
     */
    probe() {
      return ask({ type: 'probe' }, 'probe');
    },
  };
}

/**
 * Everything the load needs from one authorization server, set up through its own endpoints: an
 * SSO session with remembered consent, an access token for userinfo and introspection, a spare
 * refresh token, independent refresh-token chains, and precomputed authorization requests.
 * @param {{ chains?: number, guardTokens?: number }} needs
 */
export async function prepareServer(target, { chains = 0, guardTokens = 0 } = {}) {
  const { issuer, clientId, clientSecret } = target.info;
  const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  const path = (url) => new URL(url).pathname;
  const auth = basic(clientId, clientSecret);
  const browser = new Browser(issuer);

  const authorize = async (scope, { resource = true, prompt } = {}) => {
    const { verifier, challenge } = pkce();
    const callback = await browser.authorize(`${metadata.authorization_endpoint}?${authorizeQuery(clientId, { scope, challenge, resource, prompt })}`);
    const code = callback.searchParams.get('code');
    if (!code) throw new Error(`${target.name}: no code in ${callback.href}`);
    return redeem(code, verifier, resource);
  };
  const redeem = async (code, verifier, resource) => {
    const response = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, ...(resource ? { resource: API } : {}) }),
    });
    const body = await response.json();
    if (response.status !== 200) throw new Error(`${target.name}: code redemption failed: ${JSON.stringify(body)}`);
    return body;
  };

  // The SSO session and the remembered consent of the flow case.
  const flowScope = `openid email ${API_SCOPE}`;
  await authorize(flowScope);
  // An access token userinfo accepts. The peer's userinfo takes only its opaque tokens (no
  // resource); Gatehouse's is a JWT for its default audience.
  const user = await authorize('openid email profile', { resource: false });
  // Refresh tokens: `prompt=consent` because the peer grants offline_access only with it.
  const offline = `openid offline_access ${API_SCOPE}`;
  const spare = await authorize(offline, { prompt: 'consent' });
  const chainList = [];
  for (let i = 0; i < chains; i += 1) chainList.push({ token: (await authorize(offline, { prompt: 'consent' })).refresh_token });
  if (!spare.refresh_token || chainList.some((chain) => !chain.token)) throw new Error(`${target.name}: no refresh token issued`);

  // Precomputed authorization requests, so the generator spends no CPU on PKCE during the load.
  const flows = Array.from({ length: 512 }, () => {
    const { verifier, challenge } = pkce();
    return { verifier, path: `${path(metadata.authorization_endpoint)}?${authorizeQuery(clientId, { scope: flowScope, challenge })}` };
  });
  let nextFlow = 0;

  const tokens = [];
  for (let i = 0; i < guardTokens; i += 1) {
    const response = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'client_credentials', scope: API_SCOPE, resource: API }),
    });
    tokens.push((await response.json()).access_token);
  }

  const material = {
    metadata,
    auth,
    clientId,
    tokenPath: path(metadata.token_endpoint),
    introspectionPath: path(metadata.introspection_endpoint),
    userinfoPath: path(metadata.userinfo_endpoint),
    authorizationPath: path(metadata.authorization_endpoint),
    cookie: browser.cookieHeader(),
    userAccessToken: user.access_token,
    spareRefreshToken: spare.refresh_token,
    chains: chainList,
    nextFlow: () => flows[(nextFlow = (nextFlow + 1) % flows.length)],
    guardTokens: tokens,
    jwks: guardTokens > 0 ? await (await fetch(metadata.jwks_uri)).json() : undefined,
  };
  await checkMaterial(target, material);
  return material;
}

/** One request of each kind before the load, so a misconfiguration fails loudly instead of as errors. */
async function checkMaterial(target, material) {
  const { issuer } = target.info;
  const userinfo = await fetch(new URL(material.userinfoPath, issuer), { headers: { authorization: `Bearer ${material.userAccessToken}` } });
  if (userinfo.status !== 200) throw new Error(`${target.name}: userinfo answered ${userinfo.status}: ${await userinfo.text()}`);
  for (const [token, hint] of [
    [material.userAccessToken, 'access_token'],
    [material.spareRefreshToken, 'refresh_token'],
  ]) {
    const response = await fetch(new URL(material.introspectionPath, issuer), {
      method: 'POST',
      headers: { authorization: material.auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ token, token_type_hint: hint }),
    });
    const body = await response.json();
    if (body.active !== true) throw new Error(`${target.name}: introspection of the ${hint} says ${JSON.stringify(body)}`);
  }
}
