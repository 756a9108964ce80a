/**
 * Issue 7 "Done when", with the real command and a real listening server (`gatehouse start`):
 * `gatehouse users mfa add-totp` prints the secret; a text-only browser with no JavaScript signs
 * in through the plain HTML forms (password, then the authenticator code) to a code and tokens;
 * `users mfa list` shows the factor and `users mfa reset` removes it. Then the independent
 * openid-client library (panva) checks the ID token of a TOTP sign-in: `amr` has `otp` and `mfa`.
 *
 * Build first (`npm run build`): the command runs from dist/.
 */
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, parseJson, postForm, runCliOk, startServer, type RunningServer, type Workspace } from '../../../helpers/cli.js';
import { pkce, readIdToken } from '../../../helpers/flow.js';
import { freshTotp, textOf, totpAt, totpStep, TOTP_STEP_MS } from '../../../helpers/mfa.js';
import { parseForms, UserAgent, type Page } from '../../../helpers/user-agent.js';
import { addClient, addUser, isConsentPage, isLoginPage, type RegisteredClient, type TestUser } from '../../../interop/interop-helpers.js';

// Nothing listens here: the browser stops at the redirect.
const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
const atRedirectUri = (location: string) => location.startsWith(REDIRECT_URI);

let ws: Workspace;
let server: RunningServer;
let app: RegisteredClient;
let users: Record<'alice' | 'bob' | 'carol', TestUser>;

beforeAll(async () => {
  ws = createWorkspace();
  server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true });
  const [alice, bob, carol] = await Promise.all([
    addUser(ws, 'alice', 'Alice Liddell'),
    addUser(ws, 'bob', 'Bob Builder'),
    addUser(ws, 'carol', 'Carol Danvers'),
  ]);
  users = { alice, bob, carol };
  app = await addClient(ws, { name: 'Plain HTML app', redirectUri: REDIRECT_URI });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await killAll();
  ws?.remove();
});

/** `gatehouse users mfa add-totp USER --json`; returns what it printed and when it ran. */
async function addTotp(username: string): Promise<{ secret: string; otpauth_uri: string; at: number }> {
  const result = await runCliOk(['users', 'mfa', 'add-totp', username, '--json', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
  return { ...parseJson<{ secret: string; otpauth_uri: string }>(result), at: Date.now() };
}

function mfaList(username: string) {
  return runCliOk(['users', 'mfa', 'list', username, '--json', '--data', ws.dataDir], { cwd: ws.cwd, dev: true }).then((result) =>
    parseJson<{ factors: { id: string; type: string; confirmed: boolean; last_used_at: string | null }[]; recovery_codes_left: number }>(result),
  );
}

/** Submits the authenticator-app form of the second-factor page (plain HTML, no script). */
function submitTotp(ua: UserAgent, page: Page, code: string): Promise<Page> {
  const form = parseForms(page.body).find((candidate) => candidate.action.endsWith('/mfa') && candidate.fields.method === 'totp');
  if (!form) throw new Error(`no authenticator-app form on ${page.url}:\n${page.body.slice(0, 600)}`);
  const body = new URLSearchParams({ ...form.fields, code });
  return ua.open(
    new URL(form.action, page.url).href,
    { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    atRedirectUri,
  );
}

/** Opens an authorization request of the app and enters the password; returns the page after it. */
async function passwordStep(ua: UserAgent, user: TestUser): Promise<{ page: Page; verifier: string }> {
  const { verifier, challenge } = pkce();
  const params = {
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile',
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  const login = await ua.open(`${server.issuer}/authorize?${new URLSearchParams(params)}`, {}, atRedirectUri);
  expect(isLoginPage(login)).toBe(true);
  const page = await ua.submit(login, { username: user.username, password: user.password }, { actionPart: '/login', stopAt: atRedirectUri });
  return { page, verifier };
}

function approve(ua: UserAgent, page: Page): Promise<Page> {
  expect(isConsentPage(page)).toBe(true);
  return ua.submit(page, {}, { actionPart: '/consent', button: { name: 'decision', value: 'approve' }, stopAt: atRedirectUri });
}

describe('gatehouse users mfa, and signing in through the plain HTML forms', () => {
  let alice: { secret: string; otpauth_uri: string; at: number };

  it('users mfa add-totp --json prints the base32 secret and the otpauth URI', async () => {
    alice = await addTotp('alice');
    expect(alice.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(alice.otpauth_uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(uri.searchParams.get('secret')).toBe(alice.secret);
    expect(uri.searchParams.get('issuer')).toBe('Gatehouse');
    expect(decodeURIComponent(uri.pathname)).toContain('alice@example.com');
  });

  it('password, then the code from the printed secret, then consent: a code and tokens whose ID token says pwd otp mfa', async () => {
    const ua = new UserAgent();
    const { page, verifier } = await passwordStep(ua, users.alice);
    expect(textOf(page.body)).toContain('Code from your authenticator app');
    // Plain forms only: nothing on the page needs a script.
    expect(page.body).not.toMatch(/<script/i);
    // The command used up the code of its own time step to confirm the factor (see the next test),
    // so this uses the code of the step after it, as an app whose clock is a little ahead would show.
    const afterCode = await submitTotp(ua, page, await freshTotp(alice.secret, alice.at));
    const callback = new URL((await approve(ua, afterCode)).url);
    expect(callback.searchParams.get('iss')).toBe(server.issuer);
    const code = callback.searchParams.get('code')!;
    const response = await postForm(
      `${server.issuer}/token`,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      { clientId: app.clientId, clientSecret: app.clientSecret! },
    );
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as { access_token: string; id_token: string };
    expect(tokens.access_token).toEqual(expect.any(String));
    const { claims } = readIdToken(tokens.id_token);
    expect(claims.sub).toBe(users.alice.sub);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(claims.acr).toBe('2');
  });

  it('users mfa list shows the authenticator app, confirmed and used', async () => {
    const listed = await mfaList('alice');
    expect(listed.factors).toHaveLength(1);
    expect(listed.factors[0]).toMatchObject({ type: 'totp', confirmed: true });
    expect(listed.factors[0]!.last_used_at).toEqual(expect.any(String));
    expect(listed.recovery_codes_left).toBe(0);
  });

  it('users mfa reset removes it: the next sign-in asks for the password only', async () => {
    const reset = await runCliOk(['users', 'mfa', 'reset', 'alice', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
    expect(reset.stderr).toContain('removed 1 factor(s) of alice');
    expect((await mfaList('alice')).factors).toEqual([]);
    const { page } = await passwordStep(new UserAgent(), users.alice);
    // Straight to the app (consent is remembered), no second-factor form.
    expect(page.url.startsWith(REDIRECT_URI)).toBe(true);
  });

  it('a code generated from the printed secret right after add-totp signs in (the scripted set-up is usable at once)', async () => {
    // Start early in a 30 s step, so the command and the sign-in fall in the same one.
    const into = Date.now() % TOTP_STEP_MS;
    if (into > TOTP_STEP_MS - 8_000) await new Promise((resolve) => setTimeout(resolve, TOTP_STEP_MS - into + 100));
    const started = Date.now();
    const carol = await addTotp('carol');
    const ua = new UserAgent();
    const { page } = await passwordStep(ua, users.carol);
    const now = Date.now();
    expect(totpStep(now)).toBe(totpStep(started));
    const after = await submitTotp(ua, page, await totpAt(carol.secret, now));
    // No one typed the command's confirmation code, so the first code the user types must work.
    expect(textOf(after.body)).not.toContain('That code did not work');
    expect(isConsentPage(after)).toBe(true);
  });
});

describe('openid-client (independent RP) after a TOTP sign-in', () => {
  it('authorizationCodeGrant validates the ID token, whose amr has otp and mfa', async () => {
    const bob = await addTotp('bob');
    const config = await client.discovery(new URL(server.issuer), app.clientId, app.clientSecret, client.ClientSecretBasic(app.clientSecret), {
      execute: [client.allowInsecureRequests],
    });
    const checks = { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: client.randomState(), expectedNonce: client.randomNonce() };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(checks.pkceCodeVerifier),
      code_challenge_method: 'S256',
      state: checks.expectedState,
      nonce: checks.expectedNonce,
    });
    const ua = new UserAgent();
    const login = await ua.open(url.href, {}, atRedirectUri);
    const page = await ua.submit(login, { username: users.bob.username, password: users.bob.password }, { actionPart: '/login', stopAt: atRedirectUri });
    const consent = await submitTotp(ua, page, await freshTotp(bob.secret, bob.at));
    const redirect = await approve(ua, consent);

    const tokens = await client.authorizationCodeGrant(config, new URL(redirect.url), checks);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(users.bob.sub);
    expect(claims.amr).toEqual(expect.arrayContaining(['otp', 'mfa']));
    expect(claims.acr).toBe('2');
  });
});
