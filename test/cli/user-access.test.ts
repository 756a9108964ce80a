/**
 * Operators ending a user's access with the real command while a real `gatehouse start` serves
 * them: users sign in through the HTML pages (a text-only browser), get tokens, then
 * `gatehouse users set-password`, `users revoke-sessions`, `users remove` and `users mfa reset`
 * run against the same data directory, and the server is asked what still works.
 *
 * Build first (`npm run build`): the command runs from dist/.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION, userOwner } from '../../src/server/session/sessions.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { createWorkspace, killAll, parseJson, postForm, runCliOk, startServer, type RunOptions, type RunningServer, type Workspace } from '../helpers/cli.js';
import { pkce } from '../helpers/flow.js';
import { parseForms, UserAgent, type Page } from '../helpers/user-agent.js';
import { signIn, type RegisteredClient, type TestUser } from '../interop/interop-helpers.js';
import { createSoftwarePasskey } from './software-passkey.js';

// Nothing listens here: the browser stops at the redirect.
const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
const atRedirectUri = (location: string) => location.startsWith(REDIRECT_URI);
const SCOPE = 'openid email offline_access';
/** Set for every command and the server, so the tests hold in development and production mode alike. */
const ENV = { GATEHOUSE_SECRET: 'u'.repeat(48) };

let ws: Workspace;
let server: RunningServer;
let app: RegisteredClient & { clientSecret: string };

function cli(args: string[], options: Partial<RunOptions> = {}) {
  return runCliOk([...args, '--data', ws.dataDir], { cwd: ws.cwd, env: ENV, ...options });
}

async function addUser(username: string): Promise<TestUser> {
  const email = `${username}@example.com`;
  const password = `correct horse battery staple ${username}`;
  const { sub } = parseJson<{ sub: string }>(
    await cli(['users', 'add', '--username', username, '--email', email, '--email-verified', '--password-stdin', '--json'], { stdin: `${password}\n` }),
  );
  return { sub, username, password, email, name: username };
}

beforeAll(async () => {
  ws = createWorkspace();
  server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, env: ENV });
  const added = parseJson<{ client_id: string; client_secret: string }>(
    await cli(['clients', 'add', '--name', 'App', '--redirect-uri', REDIRECT_URI, '--json']),
  );
  app = { clientId: added.client_id, clientSecret: added.client_secret };
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await killAll();
  ws?.remove();
});

function authorizeUrl(challenge: string, extra: Record<string, string> = {}): string {
  const params = {
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state: 'st',
    nonce: 'nn',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
  return `${server.issuer}/authorize?${new URLSearchParams(params)}`;
}

interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** Signs `user` in through the pages in `ua` (a fresh browser by default) and redeems the code. */
async function signInApp(user: TestUser, ua = new UserAgent()): Promise<{ ua: UserAgent; tokens: Tokens; sawLogin: boolean; sawConsent: boolean }> {
  const { verifier, challenge } = pkce();
  const result = await signIn(ua, authorizeUrl(challenge), user, atRedirectUri);
  const code = new URL(result.page.url).searchParams.get('code');
  expect(code, `no code at ${result.page.url}`).toEqual(expect.any(String));
  const response = await postForm(
    `${server.issuer}/token`,
    { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: REDIRECT_URI },
    app,
  );
  expect(response.status, await response.clone().text()).toBe(200);
  return { ua, tokens: (await response.json()) as Tokens, sawLogin: result.sawLogin, sawConsent: result.sawConsent };
}

async function introspect(token: string): Promise<boolean> {
  const response = await postForm(`${server.issuer}/introspect`, { token }, app);
  expect(response.status).toBe(200);
  return ((await response.json()) as { active: boolean }).active;
}

function refresh(token: string): Promise<Response> {
  return postForm(`${server.issuer}/token`, { grant_type: 'refresh_token', refresh_token: token }, app);
}

function userinfo(accessToken: string): Promise<Response> {
  return fetch(`${server.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
}

/** Whether the browser is still signed in: `prompt=none` answers with a code, or `login_required`. */
async function signedIn(ua: UserAgent): Promise<boolean> {
  const page = await ua.open(authorizeUrl(pkce().challenge, { prompt: 'none' }), {}, atRedirectUri);
  const params = new URL(page.url).searchParams;
  if (params.get('code')) return true;
  expect(params.get('error')).toBe('login_required');
  return false;
}

/** Sessions of the user in the SQLite database the server and the command share. */
function storedSessions(sub: string): number {
  const db = new Database(join(ws.dataDir, 'gatehouse.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM artifacts WHERE kind = ? AND grant_id = ?').get(SESSION, userOwner(sub)) as { n: number }).n;
  } finally {
    db.close();
  }
}

async function lastAudit(type: string): Promise<{ subject: string; details: Record<string, unknown> }> {
  const events = parseJson<{ subject: string; details: Record<string, unknown> }[]>(await cli(['audit', 'tail', '--type', type, '--json']));
  expect(events.length).toBeGreaterThan(0);
  return events.at(-1)!;
}

/** Everything the user had before the command is dead: refresh, introspection, UserInfo, sessions. */
async function expectAllEnded(signIns: { ua: UserAgent; tokens: Tokens }[]): Promise<void> {
  for (const { ua, tokens } of signIns) {
    const refreshed = await refresh(tokens.refresh_token);
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
    expect(await introspect(tokens.access_token)).toBe(false);
    expect(await introspect(tokens.refresh_token)).toBe(false);
    expect((await userinfo(tokens.access_token)).status).toBe(401);
    expect(await signedIn(ua)).toBe(false);
  }
}

describe('gatehouse users set-password', () => {
  it("ends the user's sessions and tokens on every device; the new password signs in without a new consent", async () => {
    const alice = await addUser('alice');
    const laptop = await signInApp(alice);
    const phone = await signInApp(alice);
    expect(laptop.sawConsent).toBe(true);
    expect(await introspect(laptop.tokens.access_token)).toBe(true);
    expect(await signedIn(laptop.ua)).toBe(true);
    expect(storedSessions(alice.sub)).toBe(2);

    const newPassword = 'a completely new passphrase';
    const result = await cli(['users', 'set-password', 'alice', '--password-stdin'], { stdin: `${newPassword}\n` });
    expect(result.stderr).toMatch(/signed out everywhere/);

    await expectAllEnded([laptop, phone]);
    expect(storedSessions(alice.sub)).toBe(0);
    const event = await lastAudit('user.password_set');
    expect(event.subject).toBe(alice.sub);
    expect(event.details).toMatchObject({ sessions_revoked: true, sessions_ended: 2 });

    const again = await signInApp({ ...alice, password: newPassword });
    expect(again.sawLogin).toBe(true);
    expect(again.sawConsent).toBe(false);
    expect(await introspect(again.tokens.access_token)).toBe(true);
    expect((await userinfo(again.tokens.access_token)).status).toBe(200);
    expect((await refresh(again.tokens.refresh_token)).status).toBe(200);
  }, 60_000);
});

describe('gatehouse users revoke-sessions', () => {
  it('does the same without changing the password, and audits user.sessions_revoked', async () => {
    const bob = await addUser('bob');
    const carol = await addUser('carol');
    const first = await signInApp(bob);
    const second = await signInApp(bob);
    const other = await signInApp(carol);

    const result = await cli(['users', 'revoke-sessions', 'bob']);
    expect(result.stderr).toMatch(/signed bob out everywhere \(2 session\(s\)\)/);
    await expectAllEnded([first, second]);
    expect(storedSessions(bob.sub)).toBe(0);
    expect(await lastAudit('user.sessions_revoked')).toMatchObject({ subject: bob.sub, details: { sessions_ended: 2 } });

    // Another user is untouched.
    expect(await introspect(other.tokens.access_token)).toBe(true);
    expect(await signedIn(other.ua)).toBe(true);
    // The same password still signs in, without a new consent.
    const again = await signInApp(bob);
    expect(again.sawConsent).toBe(false);
    expect(await introspect(again.tokens.access_token)).toBe(true);
  }, 60_000);
});

describe('gatehouse users remove', () => {
  it("makes the removed user's tokens inactive at introspection at once and ends their sessions", async () => {
    const dave = await addUser('dave');
    const signedInDave = await signInApp(dave);
    expect(await introspect(signedInDave.tokens.access_token)).toBe(true);
    expect(storedSessions(dave.sub)).toBe(1);

    await cli(['users', 'remove', 'dave']);

    expect(await introspect(signedInDave.tokens.access_token)).toBe(false);
    expect(await introspect(signedInDave.tokens.refresh_token)).toBe(false);
    expect((await refresh(signedInDave.tokens.refresh_token)).status).toBe(400);
    expect((await userinfo(signedInDave.tokens.access_token)).status).toBe(401);
    expect(storedSessions(dave.sub)).toBe(0);
  }, 60_000);
});

describe('gatehouse users mfa reset', () => {
  /** Signs in on the login page with the passkey (passwordless); the status of the verify call. */
  async function passkeySignIn(passkey: ReturnType<typeof createSoftwarePasskey>, userId: string): Promise<number> {
    const ua = new UserAgent();
    const login: Page = await ua.open(authorizeUrl(pkce().challenge), {}, atRedirectUri);
    const form = parseForms(login.body).find((candidate) => candidate.action.includes('/passkey/options'));
    if (!form) throw new Error(`no passkey form on the login page:\n${login.body.slice(0, 600)}`);
    const verifyUrl = /data-verify-url="([^"]+)"/.exec(login.body)![1]!.replaceAll('&amp;', '&');
    const headers = { 'x-csrf-token': form.fields.csrf!, accept: 'application/json' };
    const optionsPage = await ua.open(new URL(form.action, login.url).href, { method: 'POST', headers });
    expect(optionsPage.status, optionsPage.body).toBe(200);
    const { options, challengeId } = JSON.parse(optionsPage.body) as { options: { challenge: string; rpId?: string }; challengeId: string };
    const response = passkey.assert(options, new URL(server.issuer).origin, userId);
    const verified = await ua.open(new URL(verifyUrl, login.url).href, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ challengeId, response }),
    });
    return verified.status;
  }

  async function mfaList(username: string): Promise<{ type: string; label: string }[]> {
    return parseJson<{ factors: { type: string; label: string }[] }>(await cli(['users', 'mfa', 'list', username, '--json'])).factors;
  }

  it('removes passkeys too: afterwards the passkey is neither listed nor usable', async () => {
    const erin = await addUser('erin');
    const passkey = createSoftwarePasskey();
    // Stored as registration on the account page stores it (there is no command to add a passkey).
    const store = createSqliteStore({ filename: join(ws.dataDir, 'gatehouse.db') });
    try {
      await store.factors.create(passkey.factor(erin.sub, Date.now()));
    } finally {
      await store.close();
    }
    expect(await mfaList('erin')).toEqual([expect.objectContaining({ type: 'webauthn', label: 'Software passkey' })]);
    expect(await passkeySignIn(passkey, erin.sub)).toBe(200);

    await cli(['users', 'mfa', 'reset', 'erin']);

    expect(await mfaList('erin')).toEqual([]);
    expect(await passkeySignIn(passkey, erin.sub)).toBe(401);
  }, 60_000);
});
