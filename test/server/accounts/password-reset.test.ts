/**
 * Issue 17, forgotten passwords, through the fetch handler with the development outbox as the email
 * sender: the whole reset (from the login page's "Forgot password?" to signing in with the new
 * password), what ends with it (the old session, the old refresh token), the second factor asked
 * before a new password is accepted (TOTP, a recovery code), used and expired links, bad input,
 * the proof of work.
 */
import { solveChallenge } from 'altcha-lib/v1';
import { afterEach, describe, expect, it } from 'vitest';
import { createPowChallenge } from '../../../src/server/protection/proof-of-work.js';
import { SecretKeys } from '../../../src/core/secret.js';
import { closeOutboxFlows, comparable, emailsTo, linkHref, settle, startOutboxFlow, waitForEmail, type OutboxFlow } from '../../helpers/accounts.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, Browser, expectPage, pkce, refresh, signIn, submitLogin, type Page } from '../../helpers/flow.js';
import { factorContext, giveRecoveryCodes, giveTotp, isAccountPage, totpAt, textOf } from '../../helpers/mfa.js';
import { SECRET } from '../../helpers/server.js';
import { parseForms } from '../../helpers/user-agent.js';

const ALICE = 'alice@example.com';
const NEW_PASSWORD = 'correct horse battery staple';

let flow: OutboxFlow | undefined;
afterEach(closeOutboxFlows);

/** The login page of a new authorization request in `browser`. */
async function loginPage(browser: Browser): Promise<Page> {
  const f = flow!;
  return expectPage(await browser.open(authorizeUrl(f.server, authorizeParams(f.client, pkce().challenge))), 'login');
}

/** From the login page: "Forgot password?", the address, and the link of the email that follows. */
async function askForLink(browser: Browser, address = ALICE, count = 1): Promise<{ sent: Page; link: string }> {
  const forgot = await browser.open(linkHref(await loginPage(browser), 'Forgot password?'));
  expect(forgot.status).toBe(200);
  const sent = await browser.submit(forgot, { email: address });
  const email = await waitForEmail(flow!.outbox, ALICE, 'password_reset', count);
  return { sent, link: email.link! };
}

describe('forgotten password', () => {
  it('outside a sign-in, the browser’s language (Accept-Language: de): the form and "Check your email" are German (issue 21)', async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    const browser = new Browser(flow.server);
    const headers = { 'accept-language': 'de-AT, en;q=0.5' };
    const forgot = await browser.open('/forgot-password', { headers });
    expect(forgot.body).toContain('<html lang="de" dir="ltr">');
    expect(forgot.body).toContain('<h1>Passwort zurücksetzen</h1>');
    const form = parseForms(forgot.body)[0]!;
    const sent = await browser.open(form.action, { form: { ...form.fields, email: ALICE }, headers });
    expect(sent.body).toContain('<html lang="de" dir="ltr">');
    expect(textOf(sent.body)).toContain('Der Link funktioniert einmal, 30 Minuten lang.');
  });

  it('resets the password from the login page: a weak one is refused with the reason, then every session and token of the old password ends', async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    const { server, users, client } = flow;
    // Signed in at the client, with a refresh token, in another browser.
    const before = new Browser(server);
    const tokens = await signIn(before, server, client, users.alice, { scope: 'openid email offline_access' });
    expect(tokens.refresh_token).toBeTruthy();

    const browser = new Browser(server);
    const { sent, link } = await askForLink(browser);
    expect(sent.status).toBe(200);
    expect(textOf(sent.body)).toContain('If an account uses this address, we sent it a link to choose a new password. The link works once, for 30 minutes.');
    expect(sent.body).not.toContain(ALICE);
    expect(link).toMatch(/^http:\/\/localhost:3000\/reset-password\?token=[A-Za-z0-9_-]{43}$/);

    const form = await browser.open(link);
    expect(form.status).toBe(200);
    expect(form.headers.get('referrer-policy')).toBe('no-referrer');
    expect(form.body).toContain('autocomplete="new-password"');
    expect(textOf(form.body)).toContain('At least 8 characters.');
    // The token travels in the form from here on, not in a URL.
    expect(parseForms(form.body)[0]!.fields.token).toBe(new URL(link).searchParams.get('token'));

    const weak = await browser.submit(form, { password: 'password' });
    expect(weak.status).toBe(400);
    expect(textOf(weak.body)).toContain('This password is too easy to guess.');
    expect(weak.body).toContain('aria-describedby="password-hint password-error"');

    const changed = await browser.submit(weak, { password: NEW_PASSWORD });
    expect(changed.status).toBe(200);
    expect(textOf(changed.body)).toContain('Password changed');
    await waitForEmail(flow.outbox, ALICE, 'password_changed');

    // The old password no longer works, the new one does: back to the sign-in the user came from.
    const again = await browser.open(linkHref(changed, 'Continue signing in'));
    const refused = await submitLogin(browser, expectPage(again, 'login'), users.alice);
    expect(refused.status).toBe(401);
    const signedIn = await submitLogin(browser, expectPage(refused, 'login'), users.alice, NEW_PASSWORD);
    expect(signedIn.location?.searchParams.get('code') ?? signedIn.body).toBeTruthy();

    // The other browser is signed out; the refresh token is dead.
    expect(isAccountPage(await before.open('/account'))).toBe(false);
    const refreshed = await refresh(server, client, tokens.refresh_token!);
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');

    // The link was used: it no longer works.
    const reused = await browser.open(link);
    expect(reused.status).toBe(400);
    expect(textOf(reused.body)).toContain('This link no longer works');
    expect(linkHref(reused, 'Send me a new link')).toBe('/forgot-password');
    await settle(10);
    const types = (await server.store.audit.list({ limit: 1000 })).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['password.reset_requested', 'password.reset']));
  });

  it('asks for the second factor before a new password: an authenticator code, or a recovery code; a wrong code does not get through', async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(T0 + 45_000) });
    const { server, users } = flow;
    const factors = factorContext(server.store, server.clock, SECRET);
    const totp = await giveTotp(factors, users.alice.record.id);
    const recovery = await giveRecoveryCodes(factors, users.alice.record.id);

    // TOTP.
    const browser = new Browser(server);
    const first = await askForLink(browser);
    const challenge = await browser.open(first.link);
    expect(textOf(challenge.body)).toContain('Two-step verification Before you choose a new password, confirm it’s you.');
    expect(challenge.body).not.toContain('autocomplete="new-password"');
    // Posting the password straight away (skipping the step) is not accepted.
    const skipped = await browser.open('/reset-password', {
      form: { csrf: parseForms(challenge.body)[0]!.fields.csrf!, token: parseForms(challenge.body)[0]!.fields.token!, password: NEW_PASSWORD },
    });
    expect(skipped.body).not.toContain('Password changed');
    const wrong = await submitForm(browser, challenge, 'totp', { code: '000000' === (await totpAt(totp.secret, server.clock.now())) ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    expect(textOf(wrong.body)).toContain('That code did not work.');
    server.clock.advance(30_000);
    const passed = await submitForm(browser, wrong, 'totp', { code: await totpAt(totp.secret, server.clock.now()) });
    expect(passed.body).toContain('autocomplete="new-password"');
    // Another browser with the same link still owes the factor: the step is bound to this browser.
    const elsewhere = new Browser(server);
    expect((await elsewhere.open(first.link)).body).not.toContain('autocomplete="new-password"');
    expect(textOf((await browser.submit(passed, { password: NEW_PASSWORD })).body)).toContain('Password changed');

    // A recovery code, in a new reset.
    const second = await askForLink(browser, ALICE, 2);
    const challenge2 = await browser.open(second.link);
    const viaRecovery = await submitForm(browser, challenge2, 'recovery', { code: recovery[0]! });
    expect(viaRecovery.body).toContain('autocomplete="new-password"');
    expect(textOf((await browser.submit(viaRecovery, { password: `${NEW_PASSWORD} two` })).body)).toContain('Password changed');
  });

  it("passwords posted with links spend the address's signInPerIp first: one address cannot run the policy across many links", async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(T0), protection: { rateLimits: { signInPerIp: { points: 3, seconds: 3600 } } } });
    const browser = new Browser(flow.server);
    const aliceForm = await browser.open((await askForLink(browser)).link);
    await browser.submit(await browser.open('/forgot-password'), { email: 'bob@example.com' });
    const bobForm = await browser.open((await waitForEmail(flow.outbox, 'bob@example.com', 'password_reset')).link!);
    const statuses: number[] = [];
    for (const form of [aliceForm, aliceForm, bobForm, bobForm, aliceForm]) statuses.push((await browser.submit(form, { password: 'password' })).status);
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
  });

  it('a used, expired, garbled or missing link gets the page that asks again; never a 500, never the input', async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    const { server } = flow;
    const browser = new Browser(server);
    const { link } = await askForLink(browser);
    for (const path of ['/reset-password', '/reset-password?token=', '/reset-password?token=%3Cscript%3E', `/reset-password?token=${'A'.repeat(43)}`]) {
      const page = await browser.open(path);
      expect(page.status, path).toBe(400);
      expect(textOf(page.body)).toContain('This link no longer works');
      expect(page.body).not.toContain('<script>');
    }
    server.clock.advance(1801_000);
    const expired = await browser.open(link);
    expect(expired.status).toBe(400);
    expect(textOf(expired.body)).toContain('This link no longer works');
  });

  it('bad posts: wrong CSRF is a 403 page, 10 kB fields and garbage are refused calmly, nothing is echoed', async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    const { server } = flow;
    const browser = new Browser(server);
    const forgot = await browser.open('/forgot-password');
    const csrf = parseForms(forgot.body)[0]!.fields.csrf!;
    const big = `<b>${'x'.repeat(10_000)}`;
    const wrongCsrf = await browser.open('/forgot-password', { form: { csrf: 'nope', email: ALICE } });
    expect(wrongCsrf.status).toBe(403);
    const noCookie = await server.post('/forgot-password', { csrf, email: ALICE });
    expect(noCookie.status).toBe(403);
    const huge = await browser.open('/forgot-password', { form: { csrf, email: big } });
    expect(huge.status).toBe(400);
    expect(huge.body).not.toContain('<b>');
    expect(huge.body).not.toContain('xxxxxxxxxx');
    const empty = await browser.open('/forgot-password', { form: { csrf, email: '' } });
    expect(textOf(empty.body)).toContain('Enter the email address of your account.');
    const repeated = await server.server.fetch(
      new Request(`${server.issuer}/forgot-password`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        body: `csrf=${csrf}&email=a&email=b`,
      }),
    );
    expect(repeated.status).toBeLessThan(500);

    const { link } = await askForLink(browser);
    const form = await browser.open(link);
    const fields = parseForms(form.body)[0]!.fields;
    const bigPassword = await browser.open('/reset-password', { form: { ...fields, password: big } });
    expect(bigPassword.status).toBe(400);
    expect(textOf(bigPassword.body)).toContain('Choose a password of at most 1,024 characters.');
    expect(bigPassword.body).not.toContain('xxxxxxxxxx');
    const badCsrf = await browser.open('/reset-password', { form: { ...fields, csrf: 'x', password: NEW_PASSWORD } });
    expect(badCsrf.status).toBe(403);
    const badToken = await browser.open('/reset-password', { form: { ...fields, token: big, password: NEW_PASSWORD } });
    expect(badToken.status).toBe(400);
    expect(badToken.body).not.toContain('xxxxxxxxxx');
    const badMfa = await browser.open('/reset-password/mfa', { form: { ...fields, method: 'totp', code: big } });
    expect(badMfa.status).toBeLessThan(500);
    expect(badMfa.body).not.toContain('xxxxxxxxxx');
    // The link still works after all that.
    expect(textOf((await browser.submit(form, { password: NEW_PASSWORD })).body)).toContain('Password changed');
  });

  it('a disabled account, an unknown address and a username without an address get no email, and the same page', async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(T0) });
    const { server, users } = flow;
    await server.store.users.update({ ...users.bob.record, disabled: true });
    const browser = new Browser(server);
    const answers: string[] = [];
    for (const address of ['bob@example.com', 'nobody@example.com', ALICE]) {
      const forgot = await browser.open('/forgot-password');
      const sent = await browser.submit(forgot, { email: address });
      expect(sent.status).toBe(200);
      answers.push(comparable(sent.body));
    }
    expect(new Set(answers).size).toBe(1);
    await waitForEmail(flow.outbox, ALICE, 'password_reset');
    await settle();
    expect(await emailsTo(flow.outbox, 'bob@example.com', 'password_reset')).toEqual([]);
  });

  it('with proof of work on, the post needs a solved challenge (solved here in Node), once', async () => {
    flow = await startOutboxFlow({ clock: new FakeClock(Date.now()), accounts: { proofOfWork: 2000 } });
    const { server } = flow;
    const browser = new Browser(server);
    const forgot = await browser.open('/forgot-password');
    expect(forgot.body).toContain('data-pow="/pow/challenge"');
    expect(parseForms(forgot.body)[0]!.fields).toHaveProperty('pow', '');
    // As on the sign-up form: the script's live status line, and a note for browsers without JavaScript.
    expect(forgot.body).toContain('data-pow-status="pow-status"');
    expect(forgot.body).toContain('<p class="pow-status" id="pow-status" role="status" aria-live="polite"></p>');
    expect(textOf(forgot.body)).toContain('This form needs JavaScript to check your browser before it is sent.');
    const unsolved = await browser.submit(forgot, { email: ALICE });
    expect(unsolved.status).toBe(400);
    expect(textOf(unsolved.body)).toContain('Your browser could not be checked.');

    type PowContext = Parameters<typeof createPowChallenge>[0];
    const ctx = { clock: server.clock, config: { accounts: { proofOfWork: 2000 } }, secrets: new SecretKeys(SECRET) } as unknown as PowContext;
    const challenge = await createPowChallenge(ctx);
    const solution = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber).promise;
    const payload = Buffer.from(JSON.stringify({ ...challenge, number: solution!.number })).toString('base64');
    const sent = await browser.submit(forgot, { email: ALICE, pow: payload });
    expect(sent.status).toBe(200);
    expect(textOf(sent.body)).toContain('Check your email');
    await waitForEmail(flow.outbox, ALICE, 'password_reset');
    // The same solution a second time is refused.
    expect((await browser.submit(forgot, { email: ALICE, pow: payload })).status).toBe(400);
  });
});

/** Submits the reset's second-factor form for `method`. */
function submitForm(browser: Browser, page: Page, method: string, values: Record<string, string>): Promise<Page> {
  const form = parseForms(page.body).find((candidate) => candidate.action.endsWith('/reset-password/mfa') && candidate.fields.method === method);
  if (!form) throw new Error(`no ${method} form on ${page.url}:\n${page.body.slice(0, 800)}`);
  return browser.open(form.action, { form: { ...form.fields, ...values } });
}
