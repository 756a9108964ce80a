/**
 * Interaction progress is bound to the user who earned it (OIDC Core §3.1.2.3): a sign-in, a second
 * factor, an account choice (`prompt=select_account`) or an approval (`prompt=consent`) made by one
 * account never counts for another, even when the browser's session changes hands in the middle of
 * an interaction. And `id_token_hint` names the only user who may finish the request (§3.1.2.1):
 * anyone else signing in ends it with `login_required`.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  APP_REDIRECT,
  authorize,
  authorizeParams,
  authorizeUrl,
  Browser,
  callbackParams,
  expectPage,
  expectTokens,
  findForm,
  pkce,
  promptNone,
  readIdToken,
  redeemCode,
  registerFlowClient,
  signIn,
  startFlow,
  submitLogin,
  testUsers,
  type AuthorizeParams,
  type Flow,
  type FlowClient,
  type Page,
} from '../../helpers/flow.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import {
  continueToClient,
  expectMfaChallenge,
  factorContext,
  giveTotp,
  isMfaChallenge,
  isMfaEnrolment,
  setupKey,
  submitMfa,
  TOTP_STEP_MS,
  totpAt,
} from '../../helpers/mfa.js';
import type { TestServer } from '../../helpers/server.js';
import { parseForms } from '../../helpers/user-agent.js';
import { createSoftwarePasskey } from '../../cli/software-passkey.js';

beforeAll(async () => {
  await testUsers();
});

/** A flow on a fake clock a little into a TOTP step, as the MFA tests use it. */
async function freshFlow(): Promise<Flow & { clock: FakeClock }> {
  const clock = new FakeClock(T0 + 15_000);
  return { ...(await startFlow({ clock })), clock };
}

/** Opens an authorization request of `client` in `browser`; the first page and the PKCE verifier. */
async function open(server: TestServer, browser: Browser, client: FlowClient, overrides: AuthorizeParams = {}): Promise<{ page: Page; verifier: string }> {
  const { verifier, challenge } = pkce();
  return { page: await browser.open(authorizeUrl(server, authorizeParams(client, challenge, overrides))), verifier };
}

/** Sets up the authenticator app on a sign-in's set-up page with the code of `nowMs`; the recovery-codes page. */
async function completeEnrolment(browser: Browser, page: Page, nowMs: number): Promise<Page> {
  const secret = setupKey(page.body);
  const form = parseForms(page.body).find((candidate) => candidate.action.endsWith('/mfa-enroll'))!;
  return browser.open(new URL(form.action, page.url).href, { method: 'POST', form: { ...form.fields, code: await totpAt(secret, nowMs) } });
}

/** Every authorization code any response from `index` on sent to the client (Location headers, form_post pages). */
function codesSentFrom(browser: Browser, index: number): string[] {
  return browser.history.slice(index).flatMap((page) => {
    const location = page.headers.get('location');
    const fromLocation = location ? new URL(location, page.url).searchParams.get('code') : null;
    const fromForm = /name="code" value="([^"]+)"/.exec(page.body)?.[1];
    return [fromLocation, fromForm].filter((code): code is string => typeof code === 'string');
  });
}

async function claimsOf(flow: Flow, client: FlowClient, callback: URLSearchParams, verifier: string) {
  const code = callback.get('code');
  if (!code) throw new Error(`no code in the callback: ${callback}`);
  return readIdToken((await expectTokens(await redeemCode(flow.server, client, code, verifier))).id_token!).claims;
}

describe("another user's second factor, account choice or approval never finishes an interaction", () => {
  it("alice's password + TOTP on a requireMfa client's request, then bob takes over the browser: approving alice's pending consent page issues no code for bob; bob must sign in, set up a factor, and only then gets acr 2 / amr mfa", async () => {
    const flow = await freshFlow();
    const { server, users, clock } = flow;
    const payroll = await registerFlowClient(server, { name: 'Payroll', requireMfa: true });
    const { secret } = await giveTotp(factorContext(server.store, clock), users.alice.record.id);
    clock.advance(TOTP_STEP_MS);
    const browser = new Browser(server);

    // alice: password, then her second factor; the request for Payroll stops at the consent page.
    const { page: login, verifier } = await open(server, browser, payroll, { state: 'payroll-1' });
    const challenge = expectMfaChallenge(await submitLogin(browser, login, users.alice));
    const consentForAlice = expectPage(await submitMfa(browser, challenge, 'totp', { code: await totpAt(secret, clock.now()) }), 'consent');
    expect(consentForAlice.body).toContain('alice@example.com');

    // Same browser: bob (password only, no factor) signs in through another client with prompt=login.
    const switchPage = await browser.open(authorizeUrl(server, authorizeParams(flow.client, pkce().challenge, { prompt: 'login' })));
    await submitLogin(browser, expectPage(switchPage, 'login'), users.bob);
    expect((await promptNone(browser, server, flow.client)).get('error')).toBe('consent_required'); // bob's session now, no consent yet

    // Back on Payroll's pending consent page (rendered for alice): approve.
    const mark = browser.history.length;
    const approved = await browser.submit(consentForAlice, {}, { button: 'approve' });
    expect(approved.location).toBeUndefined();
    expect(codesSentFrom(browser, mark)).toEqual([]);
    // alice's TOTP does not finish bob's password-only sign-in: bob signs in again.
    expectPage(approved, 'login');
    expect((await promptNone(browser, server, payroll)).get('code')).toBeNull();

    // Done properly: bob's password, then (Payroll requires MFA, bob has no factor) the set-up.
    const enrol = await submitLogin(browser, approved, users.bob);
    expect(isMfaEnrolment(enrol)).toBe(true);
    const codes = await completeEnrolment(browser, enrol, clock.now());
    const callback = await continueToClient(browser, codes);
    expect(callback.get('state')).toBe('payroll-1');
    const claims = await claimsOf(flow, payroll, callback, verifier);
    expect(claims.sub).toBe(users.bob.record.id);
    expect(claims.acr).toBe('2');
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });

  it('the same attack when bob already consented to Payroll: reloading the pending request (GET /interaction/:id) gives bob the login page, never a code', async () => {
    const flow = await freshFlow();
    const { server, users, clock } = flow;
    const payroll = await registerFlowClient(server, { name: 'Payroll', requireMfa: true });
    const { secret } = await giveTotp(factorContext(server.store, clock), users.alice.record.id);
    clock.advance(TOTP_STEP_MS);
    const browser = new Browser(server);
    // bob already consented to Payroll earlier (so no consent page stands in the way of a code).
    await payrollGrantFor(flow, payroll);

    const { page: login } = await open(server, browser, payroll);
    const challenge = expectMfaChallenge(await submitLogin(browser, login, users.alice));
    const consentForAlice = expectPage(await submitMfa(browser, challenge, 'totp', { code: await totpAt(secret, clock.now()) }), 'consent');
    await submitLogin(browser, (await open(server, browser, flow.client, { prompt: 'login' })).page, users.bob);

    // Reloading the pending request (GET /interaction/:id) with bob's session: the login page, no code.
    const mark = browser.history.length;
    const reloaded = await browser.open(consentForAlice.url);
    expect(codesSentFrom(browser, mark)).toEqual([]);
    expectPage(reloaded, 'login');
  });

  it("prompt=select_account: alice's choice does not count for bob once the browser is his; he is shown the chooser with his own account", async () => {
    const flow = await freshFlow();
    const { server, users } = flow;
    const second = await registerFlowClient(server, { name: 'Second App' });
    const browser = new Browser(server);
    await signIn(browser, server, flow.client, users.alice);

    // alice chooses her account; the request (no consent yet for Second App) stops at the consent page.
    const { page: chooser, verifier } = await open(server, browser, second, { prompt: 'select_account' });
    expect(expectPage(chooser, 'select-account').body).toContain('alice@example.com');
    const consentForAlice = expectPage(await browser.submit(chooser, {}, { button: 'current' }), 'consent');

    // bob takes over the browser through the other client.
    await signIn(browser, server, flow.client, users.bob, { prompt: 'login' });

    // The pending request asks bob to choose: alice's choice was hers.
    const mark = browser.history.length;
    const reloaded = await browser.open(consentForAlice.url);
    expect(codesSentFrom(browser, mark)).toEqual([]);
    expectPage(reloaded, 'select-account');
    expect(reloaded.body).toContain('bob@example.com');
    expect(reloaded.body).not.toContain('alice@example.com');

    // bob chooses himself, approves, and gets a code for himself.
    const consentForBob = expectPage(await browser.submit(reloaded, {}, { button: 'current' }), 'consent');
    const done = await browser.submit(consentForBob, {}, { button: 'approve' });
    expect((await claimsOf(flow, second, callbackParams(done), verifier)).sub).toBe(users.bob.record.id);
  });

  it("prompt=select_account: approving alice's pending consent page after bob took over shows bob the chooser, not a code", async () => {
    const flow = await freshFlow();
    const { server, users } = flow;
    const second = await registerFlowClient(server, { name: 'Second App' });
    const browser = new Browser(server);
    await signIn(browser, server, flow.client, users.alice);
    const { page: chooser } = await open(server, browser, second, { prompt: 'select_account' });
    const consentForAlice = expectPage(await browser.submit(expectPage(chooser, 'select-account'), {}, { button: 'current' }), 'consent');
    await signIn(browser, server, flow.client, users.bob, { prompt: 'login' });

    const mark = browser.history.length;
    const approved = await browser.submit(consentForAlice, {}, { button: 'approve' });
    expect(codesSentFrom(browser, mark)).toEqual([]);
    expect(approved.location).toBeUndefined();
    expectPage(approved, 'select-account');
    expect(approved.body).toContain('bob@example.com');
  });

  it("prompt=consent: alice's approval does not count for bob, who signs in afterwards in the same request; bob is asked himself", async () => {
    const flow = await freshFlow();
    const { server, users, clock } = flow;
    // bob has a remembered consent for the client: only prompt=consent makes him approve again.
    await signIn(new Browser(server), server, flow.client, users.bob);
    const browser = new Browser(server);
    await signIn(browser, server, flow.client, users.alice);

    // alice approves a prompt=consent request; her session has meanwhile grown older than max_age,
    // so the request asks for a new sign-in, and bob is the one who signs in.
    const { page: consentForAlice, verifier } = await open(server, browser, flow.client, { prompt: 'consent', max_age: '60' });
    expect(expectPage(consentForAlice, 'consent').body).toContain('alice@example.com');
    clock.advance(61_000);
    const login = expectPage(await browser.submit(consentForAlice, {}, { button: 'approve' }), 'login');
    const mark = browser.history.length;
    const afterBob = await submitLogin(browser, login, users.bob);
    expect(codesSentFrom(browser, mark)).toEqual([]);
    expect(afterBob.location).toBeUndefined();
    expectPage(afterBob, 'consent');
    expect(afterBob.body).toContain('bob@example.com');

    const done = await browser.submit(afterBob, {}, { button: 'approve' });
    expect((await claimsOf(flow, flow.client, callbackParams(done), verifier)).sub).toBe(users.bob.record.id);
  });

  it("a consent page shown to alice counts only as alice's answer: approved after bob signed in (another tab), it records nothing for bob and shows bob his own page", async () => {
    const flow = await freshFlow();
    const { server, users } = flow;
    const other = await registerFlowClient(server, { name: 'Other App', redirectUris: ['https://other.example/cb'] });
    const browser = new Browser(server);
    await signIn(browser, server, other, users.alice);
    const { page: consentForAlice } = await open(server, browser, flow.client);
    expect(expectPage(consentForAlice, 'consent').body).toContain('alice@example.com');
    // Another tab: bob signs in through the other client; the browser's session is now bob's.
    await signIn(browser, server, other, users.bob, { prompt: 'login' });
    const mark = browser.history.length;
    const answer = await browser.submit(consentForAlice, {}, { button: 'approve' });
    expect(codesSentFrom(browser, mark)).toEqual([]);
    expect(expectPage(answer, 'consent').body).toContain('bob@example.com');
    expect((await server.store.consents.listBySubject(users.bob.record.id)).filter((consent) => consent.clientId === flow.client.clientId)).toEqual([]);
  });
});

describe('id_token_hint names the user who must sign in (OIDC Core §3.1.2.1)', () => {
  it('a hint naming alice and bob signing in: the client gets login_required with state and iss, and no code', async () => {
    const flow = await freshFlow();
    const { server, users } = flow;
    const alice = await signIn(flow.browser, server, flow.client, users.alice);
    const browser = new Browser(server);
    const { page } = await open(server, browser, flow.client, { id_token_hint: alice.id_token!, state: 'hint-bob' });
    const mark = browser.history.length;
    const after = await submitLogin(browser, expectPage(page, 'login'), users.bob);
    expect(codesSentFrom(browser, mark)).toEqual([]);
    expect(`${after.location?.origin}${after.location?.pathname}`).toBe(APP_REDIRECT);
    const callback = callbackParams(after);
    expect(callback.get('error')).toBe('login_required');
    expect(callback.get('state')).toBe('hint-bob');
    expect(callback.get('iss')).toBe(server.issuer);
    expect(callback.get('code')).toBeNull();
  });

  it('a hint naming alice and alice signing in: a code for alice', async () => {
    const flow = await freshFlow();
    const { server, users } = flow;
    const alice = await signIn(flow.browser, server, flow.client, users.alice);
    const browser = new Browser(server);
    const authorized = await authorize(browser, server, flow.client, users.alice, { id_token_hint: alice.id_token! });
    const tokens = await expectTokens(await redeemCode(server, flow.client, authorized.code, authorized.verifier));
    expect(readIdToken(tokens.id_token!).claims.sub).toBe(users.alice.record.id);
  });

  it('a hint naming alice and bob (who has a second factor) signing in: login_required right after the password, before any second factor', async () => {
    const flow = await freshFlow();
    const { server, users, clock } = flow;
    const alice = await signIn(flow.browser, server, flow.client, users.alice);
    await giveTotp(factorContext(server.store, clock), users.bob.record.id);
    clock.advance(TOTP_STEP_MS);
    const browser = new Browser(server);
    const { page } = await open(server, browser, flow.client, { id_token_hint: alice.id_token!, state: 'hint-mfa' });
    const after = await submitLogin(browser, expectPage(page, 'login'), users.bob);
    expect(isMfaChallenge(after)).toBe(false);
    expect(callbackParams(after).get('error')).toBe('login_required');
    expect(callbackParams(after).get('state')).toBe('hint-mfa');
    expect(callbackParams(after).get('code')).toBeNull();
  });

  it("a hint naming alice in bob's signed-in browser: the login page; bob signing in again still gets no code (login_required)", async () => {
    const flow = await freshFlow();
    const { server, users } = flow;
    const alice = await signIn(new Browser(server), server, flow.client, users.alice);
    const browser = new Browser(server);
    await signIn(browser, server, flow.client, users.bob);
    const { page } = await open(server, browser, flow.client, { id_token_hint: alice.id_token! });
    const mark = browser.history.length;
    const after = await submitLogin(browser, expectPage(page, 'login'), users.bob);
    expect(codesSentFrom(browser, mark)).toEqual([]);
    expect(callbackParams(after).get('error')).toBe('login_required');
  });

  // Beyond the brief: the passwordless passkey sign-in, with the software authenticator of test/cli.
  it('a hint naming alice and bob signing in with his passkey (passwordless): the request ends with login_required, no code', async () => {
    const flow = await freshFlow();
    const { server, users, clock } = flow;
    const alice = await signIn(flow.browser, server, flow.client, users.alice);
    const passkey = createSoftwarePasskey();
    await server.store.factors.create(passkey.factor(users.bob.record.id, clock.now()));
    const browser = new Browser(server);
    const { page } = await open(server, browser, flow.client, { id_token_hint: alice.id_token!, state: 'hint-passkey' });
    const login = expectPage(page, 'login');

    const form = findForm(login, '/passkey/options');
    const verifyUrl = /data-verify-url="([^"]+)"/.exec(login.body)![1]!.replaceAll('&amp;', '&');
    const headers = { 'x-csrf-token': form.fields.csrf!, accept: 'application/json' };
    const options = await postJson(browser, server, new URL(form.action, login.url).href, headers);
    expect(options.status, options.body).toBe(200);
    const { options: request, challengeId } = JSON.parse(options.body) as { options: { challenge: string; rpId?: string }; challengeId: string };
    const assertion = passkey.assert(request, new URL(server.issuer).origin, users.bob.record.id);
    const verified = await postJson(browser, server, new URL(verifyUrl, login.url).href, headers, { challengeId, response: assertion });
    expect(verified.status, verified.body).toBe(200);

    const mark = browser.history.length;
    const next = await browser.open((JSON.parse(verified.body) as { redirect: string }).redirect);
    expect(codesSentFrom(browser, mark)).toEqual([]);
    expect(callbackParams(next).get('error')).toBe('login_required');
    expect(callbackParams(next).get('state')).toBe('hint-passkey');
    expect(callbackParams(next).get('code')).toBeNull();
  });
});

/** bob's remembered consent for `client` (as the consent step stores it), without his signing in there. */
async function payrollGrantFor(flow: Flow, client: FlowClient): Promise<void> {
  const now = flow.server.clock.now();
  await flow.server.store.consents.create({
    id: randomUUID(),
    clientId: client.clientId,
    subject: flow.users.bob.record.id,
    scope: 'openid',
    extra: {},
    createdAt: now,
    updatedAt: now,
    revokedAt: null,
  });
}

/** A JSON POST from `browser`'s cookie jar (the passkey script's calls); cookies it sets are kept. */
async function postJson(
  browser: Browser,
  server: TestServer,
  url: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const response = await server.server.fetch(
    new Request(url, {
      method: 'POST',
      headers: { ...headers, ...(cookie ? { cookie } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    if (/;\s*max-age=0\b/i.test(header) || value === '') browser.cookies.delete(name);
    else browser.cookies.set(name, value);
  }
  return { status: response.status, body: await response.text() };
}
