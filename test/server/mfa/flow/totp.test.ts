/**
 * Issue 7 acceptance, authenticator apps (TOTP, RFC 6238), through the fetch handler with a fixed
 * clock: set up on the account page with JavaScript off, asked for after the password (and no
 * session before it), each code accepted once (§5.2), one step of drift either side, and a
 * per-user budget of wrong codes that locks with a message saying until when.
 *
 * The tests run in order on one server and one user (alice): each moves the clock on so that it
 * has time steps of its own.
 */
import { beforeAll, describe, expect, it } from 'vitest';
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
  startFlow,
  submitLogin,
  type Flow,
  type Page,
} from '../../../helpers/flow.js';
import { englishMessages } from '../../../../src/ui/i18n/index.js';
import { FakeClock, T0 } from '../../../helpers/fake-clock.js';
import {
  continueToClient,
  expectMfaChallenge,
  isAccountPage,
  isMfaChallenge,
  setsSessionCookie,
  setupKey,
  submitMfa,
  textOf,
  TOTP_STEP_MS,
  totpAt,
  wrongTotpAt,
} from '../../../helpers/mfa.js';

const WRONG = 'That code did not work';
/** The attempt budget's window (src/server/mfa: 10 wrong answers per 15 minutes). */
const WINDOW_MS = 15 * 60_000;

let flow: Flow;
let clock: FakeClock;
let secret: string;
let recoveryCodes: string[];

beforeAll(async () => {
  // Mid-step, so "one step ahead/behind" is never a boundary case.
  clock = new FakeClock(T0 + 15_000);
  flow = await startFlow({ clock });
});

/** A new browser at the client: authorization request, password; returns the page after the password. */
async function passwordStep(): Promise<{ browser: Browser; page: Page; verifier: string }> {
  const browser = new Browser(flow.server);
  const { verifier, challenge } = pkce();
  const login = await browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, challenge)));
  const page = await submitLogin(browser, login, flow.users.alice);
  return { browser, page, verifier };
}

/** Consents and redeems the code; returns the ID token claims. */
async function finish(browser: Browser, page: Page, verifier: string) {
  const callback = await continueToClient(browser, page);
  const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callback.get('code')!, verifier));
  return readIdToken(tokens.id_token!).claims;
}

function stepsFromNow(steps: number): number {
  return clock.now() + steps * TOTP_STEP_MS;
}

/** A time as the English pages write it (medium date and short time, in UTC). */
const englishTime = (ms: number) => englishMessages().dateTime(ms);

describe('TOTP set-up on the account page', () => {
  it('signs in, shows a QR code and the key, turns the app on with its first code, then shows ten recovery codes once', async () => {
    const browser = new Browser(flow.server);
    const login = await browser.open('/account');
    const account = await submitLogin(browser, login, flow.users.alice);
    expect(isAccountPage(account)).toBe(true);
    expect(textOf(account.body)).toContain('Off Add a second step');

    const setup = await browser.submit(account, {}, { actionPart: '/account/totp' });
    expect(setup.status).toBe(200);
    expect(setup.body).toMatch(/<svg[\s\S]*<\/svg>/);
    secret = setupKey(setup.body);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    // A wrong first code keeps the same key on the page.
    const retry = await browser.submit(setup, { code: await wrongTotpAt(secret, clock.now()) }, { actionPart: '/account/totp/confirm' });
    expect(retry.status).toBe(400);
    expect(textOf(retry.body)).toContain(WRONG);
    expect(setupKey(retry.body)).toBe(secret);

    const codesPage = await browser.submit(retry, { code: await totpAt(secret, clock.now()) }, { actionPart: '/account/totp/confirm' });
    expect(codesPage.status).toBe(200);
    recoveryCodes = [...codesPage.body.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((match) => match[1]!);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);

    const back = await browser.submit(codesPage, {}, { actionPart: '/account/done' });
    expect(isAccountPage(back)).toBe(true);
    const text = textOf(back.body);
    expect(text).toContain('On You’re asked for a second step');
    expect(text).toContain('Authenticator app');
    expect(text).toContain('10 codes left');
    // The key is shown once only: the account page does not repeat it.
    expect(back.body).not.toContain(secret.slice(0, 8));
  });

  it('a new sign-in asks for the code after the password, with no session before it; the ID token says pwd, otp, mfa and acr 2', async () => {
    clock.advance(TOTP_STEP_MS);
    const { browser, page, verifier } = await passwordStep();
    expectMfaChallenge(page);
    expect(textOf(page.body)).toContain('Code from your authenticator app');
    // Nothing the password step sent set a session: the browser is not signed in yet.
    expect(browser.history.some(setsSessionCookie)).toBe(false);
    expect([...browser.cookies.keys()].some((name) => name.includes('gh_session'))).toBe(false);
    expect((await promptNone(browser, flow.server, flow.client)).get('error')).toBe('login_required');

    const before = browser.history.length;
    const next = await submitMfa(browser, page, 'totp', { code: await totpAt(secret, clock.now()) });
    expect(browser.history.slice(before).some(setsSessionCookie)).toBe(true);
    expectPage(next, 'consent');
    const claims = await finish(browser, next, verifier);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(claims.acr).toBe('2');
    expect(claims.sub).toBe(flow.users.alice.record.id);
  });

  it('refuses the same code again in a second sign-in (same time step): RFC 6238 §5.2', async () => {
    const replayed = await totpAt(secret, clock.now());
    const { browser, page, verifier } = await passwordStep();
    const refused = await submitMfa(browser, expectMfaChallenge(page), 'totp', { code: replayed });
    expect(refused.status).toBe(401);
    expect(textOf(refused.body)).toContain(WRONG);
    expect(isMfaChallenge(refused)).toBe(true);
    expect(browser.history.some(setsSessionCookie)).toBe(false);

    // The next code works on the same page.
    clock.advance(TOTP_STEP_MS);
    const accepted = await submitMfa(browser, refused, 'totp', { code: await totpAt(secret, clock.now()) });
    expect((await finish(browser, accepted, verifier)).amr).toContain('mfa');
  });

  it('refuses a code of a time step at or before the last one used', async () => {
    clock.advance(TOTP_STEP_MS);
    // The app runs 30 s ahead: its code is of the next step, which is used up now.
    const ahead = await totpAt(secret, stepsFromNow(1));
    const first = await passwordStep();
    const accepted = await submitMfa(first.browser, expectMfaChallenge(first.page), 'totp', { code: ahead });
    expect((await continueToClient(first.browser, accepted)).get('code')).toEqual(expect.any(String));

    const second = await passwordStep();
    // The current step comes before the one just used.
    let page = await submitMfa(second.browser, expectMfaChallenge(second.page), 'totp', { code: await totpAt(secret, clock.now()) });
    expect(page.status).toBe(401);
    page = await submitMfa(second.browser, page, 'totp', { code: ahead });
    expect(page.status).toBe(401);
    // Thirty seconds on, that step is the current one, and still used up.
    clock.advance(TOTP_STEP_MS);
    page = await submitMfa(second.browser, page, 'totp', { code: await totpAt(secret, clock.now()) });
    expect(page.status).toBe(401);
    expect(textOf(page.body)).toContain(WRONG);
    clock.advance(TOTP_STEP_MS);
    page = await submitMfa(second.browser, page, 'totp', { code: await totpAt(secret, clock.now()) });
    expect((await finish(second.browser, page, second.verifier)).amr).toContain('otp');
  });

  it('accepts a code one step behind or ahead (30 s of clock drift), not two', async () => {
    clock.advance(3 * TOTP_STEP_MS);
    const { browser, page, verifier } = await passwordStep();
    let current = await submitMfa(browser, expectMfaChallenge(page), 'totp', { code: await totpAt(secret, stepsFromNow(-2)) });
    expect(current.status).toBe(401);
    current = await submitMfa(browser, current, 'totp', { code: await totpAt(secret, stepsFromNow(2)) });
    expect(current.status).toBe(401);
    // The server's clock is 30 s ahead of the app's.
    current = await submitMfa(browser, current, 'totp', { code: await totpAt(secret, stepsFromNow(-1)) });
    expect((await finish(browser, current, verifier)).amr).toContain('otp');

    // The server's clock is 30 s behind the app's.
    clock.advance(2 * TOTP_STEP_MS);
    const again = await passwordStep();
    const ahead = await submitMfa(again.browser, expectMfaChallenge(again.page), 'totp', { code: await totpAt(secret, stepsFromNow(1)) });
    expect((await finish(again.browser, ahead, again.verifier)).acr).toBe('2');
  });

  it('shows an error for a wrong code; ten wrong codes lock the user, saying until when, and even a right code is refused until then', async () => {
    // A fresh window of the attempt budget.
    const windowStart = (Math.floor(clock.now() / WINDOW_MS) + 1) * WINDOW_MS;
    clock.set(windowStart + 15_000);
    const retryAt = windowStart + WINDOW_MS;
    const { browser, page, verifier } = await passwordStep();

    let current = expectMfaChallenge(page);
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      current = await submitMfa(browser, current, 'totp', { code: await wrongTotpAt(secret, clock.now()) });
      expect(current.status).toBe(401);
      // The tenth answer already says the codes are locked (next test).
      expect(textOf(current.body)).toContain(attempt < 10 ? WRONG : 'Too many');
    }

    const locked = await submitMfa(browser, current, 'totp', { code: await totpAt(secret, clock.now()) });
    expect(isMfaChallenge(locked)).toBe(true);
    const text = textOf(locked.body);
    expect(text).toContain('Too many');
    expect(text).toContain(`codes can’t be used until ${englishTime(retryAt)} UTC`);
    expect(locked.body).toMatch(/<fieldset class="plain" disabled>/);
    // A recovery code is a code too.
    const stillLocked = await submitMfa(browser, locked, 'recovery', { code: recoveryCodes[0]! });
    expect(textOf(stillLocked.body)).toContain(`${englishTime(retryAt)} UTC`);
    expect(browser.history.some(setsSessionCookie)).toBe(false);

    // A moment before the time said: still locked. At it: the right code works.
    clock.set(retryAt - 1_000);
    expect(textOf((await submitMfa(browser, locked, 'totp', { code: await totpAt(secret, clock.now()) })).body)).toContain('Too many');
    clock.set(retryAt + 15_000);
    const accepted = await submitMfa(browser, locked, 'totp', { code: await totpAt(secret, clock.now()) });
    expect((await finish(browser, accepted, verifier)).amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });

  it('the answer to the tenth wrong code already says the codes are locked and until when (not "try again")', async () => {
    const windowStart = (Math.floor(clock.now() / WINDOW_MS) + 1) * WINDOW_MS;
    clock.set(windowStart + 15_000);
    const { browser, page } = await passwordStep();
    let current = expectMfaChallenge(page);
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      current = await submitMfa(browser, current, 'totp', { code: await wrongTotpAt(secret, clock.now()) });
    }
    // The user is locked out now; the page should say so instead of inviting an eleventh try.
    expect(textOf(current.body)).toContain(`codes can’t be used until ${englishTime(windowStart + WINDOW_MS)} UTC`);
    expect(current.body).toMatch(/<fieldset class="plain" disabled>/);
  });
});
