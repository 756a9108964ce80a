/**
 * Issue 7 acceptance, the MFA policy (`mfa.policy`), clients registered with `requireMfa`, and
 * step-up by `acr_values` (OIDC Core §3.1.2.1, §5.5.1.1): who is asked for a second factor, who
 * sets one up during sign-in, and what `amr`/`acr` the ID token then carries (RFC 8176).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../../../src/server/admin/users.js';
import {
  authorizeParams,
  authorizeUrl,
  Browser,
  expectPage,
  expectTokens,
  pkce,
  promptNone,
  readIdToken,
  redeemCode,
  registerFlowClient,
  signIn,
  startFlow,
  submitLogin,
  type AuthorizeParams,
  type Flow,
  type FlowClient,
  type Page,
} from '../../../helpers/flow.js';
import { FakeClock, T0 } from '../../../helpers/fake-clock.js';
import {
  continueToClient,
  expectMfaChallenge,
  factorContext,
  giveTotp,
  isMfaEnrolment,
  recoveryCodesOf,
  setsSessionCookie,
  setupKey,
  submitMfa,
  textOf,
  TOTP_STEP_MS,
  totpAt,
  wrongTotpAt,
} from '../../../helpers/mfa.js';
import { parseForms } from '../../../helpers/user-agent.js';

/** Opens an authorization request of `client` in `browser`; returns the first page and the PKCE verifier. */
async function open(flow: Flow, browser: Browser, client: FlowClient, overrides: AuthorizeParams = {}): Promise<{ page: Page; verifier: string }> {
  const { verifier, challenge } = pkce();
  return { page: await browser.open(authorizeUrl(flow.server, authorizeParams(client, challenge, overrides))), verifier };
}

async function idTokenClaims(flow: Flow, client: FlowClient, callback: URLSearchParams, verifier: string) {
  const tokens = await expectTokens(await redeemCode(flow.server, client, callback.get('code')!, verifier));
  return readIdToken(tokens.id_token!).claims;
}

/** Whether the page's CSP `form-action` lets its form's answer redirect to `target`. */
function formActionAllows(page: Page, target: string): boolean {
  const csp = page.headers.get('content-security-policy') ?? '';
  const sources = /(?:^|;)\s*form-action ([^;]*)/.exec(csp)?.[1]?.trim().split(/\s+/) ?? [];
  const url = new URL(target);
  return sources.some((source) => (source === "'self'" ? url.origin === new URL(page.url).origin : source === url.origin));
}

/** Sets up the authenticator app on a sign-in's set-up page with the code of `nowMs`; returns the recovery-codes page. */
async function completeEnrolment(browser: Browser, page: Page, nowMs: number): Promise<Page> {
  const secret = setupKey(page.body);
  const form = parseForms(page.body).find((candidate) => candidate.action.endsWith('/mfa-enroll'))!;
  return browser.open(new URL(form.action, page.url).href, { method: 'POST', form: { ...form.fields, code: await totpAt(secret, nowMs) } });
}

describe("policy 'required': a user without a factor sets one up during sign-in", () => {
  let flow: Flow;
  let clock: FakeClock;

  beforeAll(async () => {
    clock = new FakeClock(T0 + 15_000);
    flow = await startFlow({ clock, mfa: { policy: 'required' } });
  });

  it('after the password: the set-up page with a QR code and the key, and no session yet', async () => {
    const browser = new Browser(flow.server);
    const { page: login } = await open(flow, browser, flow.client);
    const page = await submitLogin(browser, login, flow.users.bob);
    expect(isMfaEnrolment(page)).toBe(true);
    expect(page.body).toMatch(/<svg[\s\S]*<\/svg>/);
    expect(setupKey(page.body)).toMatch(/^[A-Z2-7]{32}$/);
    expect(textOf(page.body)).toContain('Example App requires two-step verification');
    expect(browser.history.some(setsSessionCookie)).toBe(false);
    expect((await promptNone(browser, flow.server, flow.client)).get('error')).toBe('login_required');
  });

  it('a wrong first code keeps the same key; the right one completes the sign-in: recovery codes, consent, code; amr pwd otp mfa, acr 2', async () => {
    const browser = new Browser(flow.server);
    const { page: login, verifier } = await open(flow, browser, flow.client);
    const setup = await submitLogin(browser, login, flow.users.bob);
    const secret = setupKey(setup.body);
    const form = parseForms(setup.body).find((candidate) => candidate.action.endsWith('/mfa-enroll'))!;
    const wrong = await browser.open(new URL(form.action, setup.url).href, {
      method: 'POST',
      form: { ...form.fields, code: await wrongTotpAt(secret, clock.now()) },
    });
    expect(isMfaEnrolment(wrong)).toBe(true);
    expect(textOf(wrong.body)).toContain('That code did not work');
    expect(setupKey(wrong.body)).toBe(secret);
    expect(browser.history.some(setsSessionCookie)).toBe(false);

    const codes = await completeEnrolment(browser, wrong, clock.now());
    expect(recoveryCodesOf(codes.body)).toHaveLength(10);
    expect(setsSessionCookie(codes)).toBe(true);
    const claims = await idTokenClaims(flow, flow.client, await continueToClient(browser, codes), verifier);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(claims.acr).toBe('2');

    // From now on bob is asked for the code, not to set up again.
    clock.advance(TOTP_STEP_MS);
    const again = new Browser(flow.server);
    const next = await submitLogin(again, (await open(flow, again, flow.client)).page, flow.users.bob);
    expectMfaChallenge(next);
    const done = await submitMfa(again, next, 'totp', { code: await totpAt(secret, clock.now()) });
    expect((await continueToClient(again, done)).get('code')).toEqual(expect.any(String));
  });
});

describe("policy 'off'", () => {
  let flow: Flow;

  beforeAll(async () => {
    const clock = new FakeClock(T0 + 15_000);
    flow = await startFlow({ clock, mfa: { policy: 'off' } });
    await giveTotp(factorContext(flow.server.store, clock), flow.users.alice.record.id);
    clock.advance(TOTP_STEP_MS);
  });

  it('never asks for a second factor, even of a user who has one; amr pwd, acr 1', async () => {
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const { claims } = readIdToken(tokens.id_token!);
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.acr).toBe('1');
    expect(flow.browser.history.some((page) => page.body.includes('Two-step verification'))).toBe(false);
  });

  it('does not offer passkey sign-in on the login page', async () => {
    const browser = new Browser(flow.server);
    const { page } = await open(flow, browser, flow.client);
    expectPage(page, 'login');
    expect(page.body).not.toContain('Sign in with a passkey');
  });
});

describe("policy 'optional': clients registered with requireMfa, and acr_values=2 (step-up)", () => {
  let flow: Flow;
  let clock: FakeClock;
  let payroll: FlowClient;

  beforeAll(async () => {
    clock = new FakeClock(T0 + 15_000);
    flow = await startFlow({ clock });
    payroll = await registerFlowClient(flow.server, { name: 'Payroll', requireMfa: true });
  });

  it('a password-only session gets no code for a requireMfa client: prompt=none answers login_required (no factor yet: sign in again to set one up)', async () => {
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    expect(readIdToken(tokens.id_token!).claims.amr).toEqual(['pwd']);
    // The same session still gets codes for an ordinary client without interaction.
    expect((await promptNone(flow.browser, flow.server, flow.client)).get('code')).toEqual(expect.any(String));
    const answer = await promptNone(flow.browser, flow.server, payroll);
    expect(answer.get('error')).toBe('login_required');
    expect(answer.get('code')).toBeNull();
  });

  it('an interactive request of the requireMfa client asks for the factor (step-up) before any code; then amr pwd otp mfa, acr 2', async () => {
    const { secret } = await giveTotp(factorContext(flow.server.store, clock), flow.users.alice.record.id);
    clock.advance(TOTP_STEP_MS);
    const { page, verifier } = await open(flow, flow.browser, payroll);
    // No password again: the session's first factor stands, only the second is asked for.
    expectMfaChallenge(page);
    const next = await submitMfa(flow.browser, page, 'totp', { code: await totpAt(secret, clock.now()) });
    const claims = await idTokenClaims(flow, payroll, await continueToClient(flow.browser, next), verifier);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(claims.acr).toBe('2');
    expect((await promptNone(flow.browser, flow.server, payroll)).get('code')).toEqual(expect.any(String));
  });

  it('acr_values=2 on a password-only session triggers step-up too: bob has no factor, so he signs in again, then sets one up; the ID token has acr 2', async () => {
    const browser = new Browser(flow.server);
    await signIn(browser, flow.server, flow.client, flow.users.bob);
    expect((await promptNone(browser, flow.server, flow.client)).get('code')).toEqual(expect.any(String));
    expect((await promptNone(browser, flow.server, flow.client, { acr_values: '2' })).get('error')).toBe('login_required');

    const { page, verifier } = await open(flow, browser, flow.client, { acr_values: '2' });
    // A session alone (perhaps a stolen cookie) never enrols a factor: the password comes first.
    expect(isMfaEnrolment(page)).toBe(false);
    const enrol = await submitLogin(browser, page, flow.users.bob);
    expect(isMfaEnrolment(enrol)).toBe(true);
    const codes = await completeEnrolment(browser, enrol, clock.now());
    const claims = await idTokenClaims(flow, flow.client, await continueToClient(browser, codes), verifier);
    expect(claims.acr).toBe('2');
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });

  it('step-up of a password-only session of a user with a factor asks for the code only, not the password again', async () => {
    const browser = new Browser(flow.server);
    const carol = await createUser(flow.server.store, { username: 'carol', password: 'carol-password-1' }, clock.now());
    await signIn(browser, flow.server, flow.client, { record: carol, username: 'carol', password: 'carol-password-1' });
    const { secret } = await giveTotp(factorContext(flow.server.store, clock), carol.id);
    clock.advance(TOTP_STEP_MS);
    const { page, verifier } = await open(flow, browser, flow.client, { acr_values: '2' });
    expect(parseForms(page.body).some((form) => form.action.endsWith('/login'))).toBe(false);
    const next = await submitMfa(browser, expectMfaChallenge(page), 'totp', { code: await totpAt(secret, clock.now()) });
    expect((await idTokenClaims(flow, flow.client, await continueToClient(browser, next), verifier)).acr).toBe('2');
  });

  it('after a step-up set-up, the recovery-codes page lets its "continue" redirect to the client (CSP form-action)', async () => {
    const browser = new Browser(flow.server);
    const erin = await createUser(flow.server.store, { username: 'erin', password: 'erin-password-12' }, clock.now());
    await signIn(browser, flow.server, flow.client, { record: erin, username: 'erin', password: 'erin-password-12' });
    const { page } = await open(flow, browser, flow.client, { acr_values: '2' });
    const enrol = await submitLogin(browser, page, { record: erin, username: 'erin', password: 'erin-password-12' });
    const codes = await completeEnrolment(browser, enrol, clock.now());
    const before = browser.history.length;
    // Consent is remembered: "continue" is answered by redirects ending at the client.
    expect((await continueToClient(browser, codes)).get('code')).toEqual(expect.any(String));
    expect(browser.history.length - before).toBe(2);
    // Browsers apply form-action to the redirects after a form post (CSP3 §6.2.1): unless the
    // codes page allows the client's origin, a real browser stops at "continue".
    expect(formActionAllows(codes, flow.client.redirectUri)).toBe(true);
  });

  it('during step-up a wrong code shows the error on the second-factor page (not the login page)', async () => {
    const browser = new Browser(flow.server);
    const dave = await createUser(flow.server.store, { username: 'dave', password: 'dave-password-12' }, clock.now());
    await signIn(browser, flow.server, flow.client, { record: dave, username: 'dave', password: 'dave-password-12' });
    const { secret } = await giveTotp(factorContext(flow.server.store, clock), dave.id);
    clock.advance(TOTP_STEP_MS);
    const { page } = await open(flow, browser, payroll);
    const wrong = await submitMfa(browser, expectMfaChallenge(page), 'totp', { code: await wrongTotpAt(secret, clock.now()) });
    // What the user should see: the same page, saying the code was wrong. (Not the login page.)
    expect(parseForms(wrong.body).some((form) => form.action.endsWith('/login'))).toBe(false);
    expectMfaChallenge(wrong);
    expect(wrong.status).toBe(401);
    expect(textOf(wrong.body)).toContain('That code did not work');
  });
});
