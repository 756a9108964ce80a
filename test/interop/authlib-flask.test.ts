/**
 * The reference documents' own stack as the relying party: a Flask app using Authlib's Flask client
 * (test/interop/authlib/app.py), against a real `gatehouse start`. A text-only browser goes to the
 * app's /login, signs in and consents at Gatehouse, and is sent back to the app's /authorize,
 * where Authlib exchanges the code with PKCE, validates the ID token (signature, iss, aud, nonce,
 * at_hash), reads UserInfo, refreshes, revokes and introspects. The app answers with JSON saying
 * what worked.
 *
 * Needs Debian's python3-flask, python3-authlib and python3-requests (Authlib's Flask client imports
 * requests, which the python3-authlib package does not pull in) for /usr/bin/python3, not the pyenv
 * python3 on PATH. Skipped, saying so, only when flask or authlib cannot be imported at all; a
 * missing requests fails the test with the app's traceback.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, createWorkspace, killAll, pollUntil, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';
import { UserAgent } from '../helpers/user-agent.js';
import { addClient, addUser, signIn, type RegisteredClient, type TestUser } from './interop-helpers.js';
import { freePort } from '../helpers/ports.js';

const PYTHON = '/usr/bin/python3';
const APP_DIR = fileURLToPath(new URL('./authlib/', import.meta.url));

const probe = spawnSync(PYTHON, ['-c', 'import flask, authlib'], { encoding: 'utf8', env: pythonEnv() });
const hasAuthlib = probe.status === 0;
const SKIP_REASON = `${PYTHON} cannot import flask and authlib (${(probe.error?.message ?? probe.stderr ?? '').trim().split('\n').pop()}); install them with: apt-get install -y python3-flask python3-authlib python3-requests`;
if (!hasAuthlib) console.warn(`[authlib-flask] SKIPPED: ${SKIP_REASON}`);

/** The environment for Debian's python: no pyenv or virtualenv variables that could redirect imports. */
function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({ PYTHONPATH: undefined, PYTHONHOME: undefined, VIRTUAL_ENV: undefined, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...extra });
}

interface FlaskApp {
  origin: string;
  child: ChildProcess;
  output(): string;
}

async function startFlask(port: number, issuer: string, registered: RegisteredClient): Promise<FlaskApp> {
  const child = spawn(PYTHON, ['app.py'], {
    cwd: APP_DIR,
    env: pythonEnv({
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: registered.clientId,
      OIDC_CLIENT_SECRET: registered.clientSecret!,
      PORT: String(port),
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const origin = `http://127.0.0.1:${port}`;
  try {
    await pollUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`the Flask app exited with ${child.exitCode}:\n${output}`);
        const response = await fetch(`${origin}/`).catch(() => undefined);
        return response?.ok === true;
      },
      { timeoutMs: 15_000, what: `the Flask app at ${origin}` },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${output}`, { cause: error });
  }
  return { origin, child, output: () => output };
}

function stopFlask(app: FlaskApp | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (app?.child.exitCode !== null || app.child.signalCode !== null) {
      resolve();
      return;
    }
    const killer = setTimeout(() => app.child.kill('SIGKILL'), 5_000);
    app.child.once('close', () => {
      clearTimeout(killer);
      resolve();
    });
    app.child.kill('SIGTERM');
  });
}

interface AuthlibResult {
  issuer: string;
  iss_param: string | null;
  iss_matches: boolean;
  id_token_valid: boolean;
  id_token_claims: Record<string, unknown> | null;
  scope: string;
  has_refresh_token: boolean;
  sub: string;
  email: string;
  name: string;
  userinfo_sub_matches: boolean;
  refreshed: boolean;
  refresh_token_rotated: boolean;
  userinfo_status_before_revocation: number;
  revocation_status: number;
  introspection_status: number;
  introspection_after_revocation: Record<string, unknown>;
  revoked: boolean;
  userinfo_status_after_revocation: number;
  error?: string;
  error_description?: string;
}

describe('Authlib (Python, Flask client) as the relying party', () => {
  let ws: Workspace;
  let server: RunningServer;
  let flask: FlaskApp | undefined;
  let alice: TestUser;
  let registered: RegisteredClient;
  const browser = new UserAgent();

  beforeAll(async () => {
    if (!hasAuthlib) return;
    ws = createWorkspace();
    server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true });
    alice = await addUser(ws, 'alice', 'Alice Liddell');
    const port = await freePort();
    registered = await addClient(ws, { name: 'Flask + Authlib', redirectUri: `http://127.0.0.1:${port}/authorize` });
    flask = await startFlask(port, server.issuer, registered);
  });

  afterAll(async () => {
    await stopFlask(flask);
    await server?.stop();
    await killAll();
    ws?.remove();
  });

  /** Opens the app's /login and plays the user until the app's /authorize answers. */
  async function signInThroughApp() {
    const result = await signIn(browser, `${flask!.origin}/login`, alice, () => false);
    const { page } = result;
    const where = new URL(page.url);
    expect(
      `${where.origin}${where.pathname}`,
      `ended at ${page.url} (${page.status}):\n${page.body.slice(0, 800)}\n--- Flask output:\n${flask!.output()}`,
    ).toBe(`${flask!.origin}/authorize`);
    expect(page.status, `${page.body}\n--- Flask output:\n${flask!.output()}`).toBe(200);
    return { ...result, json: JSON.parse(page.body) as AuthlibResult };
  }

  it.skipIf(!hasAuthlib)(
    hasAuthlib
      ? 'signs in through /login and /authorize: ID token, UserInfo, refresh, revocation'
      : `signs in through /login and /authorize (skipped: ${SKIP_REASON})`,
    async () => {
      const { json, sawLogin, sawConsent, locations } = await signInThroughApp();
      expect([sawLogin, sawConsent]).toEqual([true, true]);

      // Authlib sent PKCE (S256), a state and a nonce.
      const authorization = new URL(locations.find((location) => location.startsWith(`${server.issuer}/authorize`))!);
      expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorization.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(authorization.searchParams.get('state')).toBeTruthy();
      expect(authorization.searchParams.get('nonce')).toBeTruthy();
      expect(authorization.searchParams.get('redirect_uri')).toBe(`${flask!.origin}/authorize`);

      expect(json.error, json.error_description).toBeUndefined();
      expect(json).toMatchObject({
        iss_param: server.issuer,
        iss_matches: true,
        id_token_valid: true,
        has_refresh_token: true,
        sub: alice.sub,
        email: alice.email,
        name: alice.name,
        userinfo_sub_matches: true,
        refreshed: true,
        refresh_token_rotated: true,
        userinfo_status_before_revocation: 200,
        revocation_status: 200,
        introspection_status: 200,
        revoked: true,
        userinfo_status_after_revocation: 401,
      });
      expect(json.id_token_claims).toMatchObject({
        iss: server.issuer,
        sub: alice.sub,
        aud: registered.clientId,
        nonce: authorization.searchParams.get('nonce'),
      });
      expect(json.introspection_after_revocation).toEqual({ active: false });
      expect(json.scope.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);

      // The app keeps its own session (its cookie, next to Gatehouse's in the same browser).
      const home = await browser.open(`${flask!.origin}/`);
      expect(JSON.parse(home.body)).toEqual({ signed_in: true, user: { sub: alice.sub, email: alice.email, name: alice.name } });
    },
  );

  it.skipIf(!hasAuthlib)(
    hasAuthlib ? 'signs in again without login or consent (SSO and remembered consent)' : `signs in again (skipped: ${SKIP_REASON})`,
    async () => {
      const { json, sawLogin, sawConsent, locations } = await signInThroughApp();
      expect([sawLogin, sawConsent]).toEqual([false, false]);
      expect(locations.filter((location) => location.includes('/interaction/'))).toEqual([]);
      expect(json).toMatchObject({ id_token_valid: true, iss_matches: true, sub: alice.sub, refreshed: true, revoked: true });
    },
  );
});
