/**
 * Issue 7 acceptance, the account page: removing a factor needs a recent sign-in
 * (`mfa.recentAuthSeconds`), the user's sessions can be listed and the others signed out, and
 * recent sign-ins are listed with how and where.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Browser, promptNone, signIn, startFlow, submitLogin, type Flow, type Page } from '../../../helpers/flow.js';
import { FakeClock, T0 } from '../../../helpers/fake-clock.js';
import { enrolTotpOnAccount, expectMfaChallenge, isAccountPage, openAccount, removeFormFor, submitMfa, textOf, totpAt } from '../../../helpers/mfa.js';
import { parseForms } from '../../../helpers/user-agent.js';

const RECENT_AUTH_SECONDS = 300;

let flow: Flow;
let clock: FakeClock;

beforeAll(async () => {
  clock = new FakeClock(T0 + 15_000);
  flow = await startFlow({ clock, mfa: { recentAuthSeconds: RECENT_AUTH_SECONDS } });
});

/** The rows of the "Recent sign-ins" table, as text (when, methods, application, result). */
function signInRows(page: Page): string[] {
  const table = /<tbody>([\s\S]*?)<\/tbody>/.exec(page.body)?.[1] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => textOf(row[1]!));
}

/** The rows of the "Sessions" list, as text. */
function sessionRows(page: Page): string[] {
  const section = /<section[^>]*aria-labelledby="sessions-heading"[\s\S]*?<\/section>/.exec(page.body)?.[0] ?? '';
  return [...section.matchAll(/<li class="row">([\s\S]*?)<\/li>/g)].map((row) => textOf(row[1]!));
}

function isLoginPage(page: Page): boolean {
  return parseForms(page.body).some((form) => form.action.endsWith('/login'));
}

describe('account page', () => {
  it('removing a factor needs a recent sign-in: past recentAuthSeconds a 403 asks to sign in again; after that it works', async () => {
    const browser = new Browser(flow.server);
    const { secret, page: codes } = await enrolTotpOnAccount(browser, await openAccount(browser, flow.users.alice), clock.now());
    let account = await browser.submit(codes, {}, { actionPart: '/account/done' });
    expect(textOf(account.body)).toContain('Authenticator app');

    clock.advance((RECENT_AUTH_SECONDS + 1) * 1000);
    account = await browser.open('/account');
    const remove = removeFormFor(account, 'Authenticator app');
    const reauth = await browser.open(remove.action, { method: 'POST', form: remove.fields });
    expect(reauth.status).toBe(403);
    expect(textOf(reauth.body)).toContain('To remove a sign-in method, please sign in again first.');
    expect((await flow.server.store.factors.listByUser(flow.users.alice.record.id)).some((factor) => factor.type === 'totp')).toBe(true);

    // "Sign in again": password and, as alice has one, the second factor; then back to the account page.
    const login = await browser.submit(reauth, {}, { actionPart: '/account/reauth' });
    expect(isLoginPage(login)).toBe(true);
    const challenge = expectMfaChallenge(await submitLogin(browser, login, flow.users.alice));
    account = await submitMfa(browser, challenge, 'totp', { code: await totpAt(secret, clock.now()) });
    expect(isAccountPage(account)).toBe(true);

    const removed = await browser.open(removeFormFor(account, 'Authenticator app').action, {
      method: 'POST',
      form: removeFormFor(account, 'Authenticator app').fields,
    });
    expect(isAccountPage(removed)).toBe(true);
    expect(textOf(removed.body)).toContain('Removed.');
    expect(textOf(removed.body)).toContain('Off Add a second step');
    expect((await flow.server.store.factors.listByUser(flow.users.alice.record.id)).some((factor) => factor.type === 'totp')).toBe(false);
    // The re-authentication is listed with its methods, in words (issue 13).
    expect(signInRows(removed)[0]).toContain('Password + authenticator app');
  });

  it('lists the sessions of two browsers; "sign out of the other session" ends the other one, whose cookie then no longer works', async () => {
    const here = new Browser(flow.server);
    const there = new Browser(flow.server);
    expect(isAccountPage(await openAccount(there, flow.users.bob))).toBe(true);
    clock.advance(60_000);
    let account = await openAccount(here, flow.users.bob);
    const text = textOf(account.body);
    expect(sessionRows(account)).toHaveLength(2);
    expect(sessionRows(account).filter((row) => row.includes('This device'))).toHaveLength(1);
    expect(text).toContain('Sign out of the other session');

    account = await here.submit(account, {}, { actionPart: '/account/sessions/others' });
    expect(isAccountPage(account)).toBe(true);
    expect(textOf(account.body)).toContain('Your other sessions are signed out.');
    expect(sessionRows(account)).toHaveLength(1);
    expect(sessionRows(account)[0]).toContain('This device');

    // The other browser still sends its cookie, which no longer signs anyone in.
    expect([...there.cookies.keys()].some((name) => name.includes('gh_session'))).toBe(true);
    expect(isLoginPage(await there.open('/account'))).toBe(true);
    expect((await promptNone(there, flow.server, flow.client)).get('error')).toBe('login_required');
    // This one is still signed in.
    expect(isAccountPage(await here.open('/account'))).toBe(true);
  });

  it('lists recent sign-ins with method and application, newest first', async () => {
    clock.advance(60_000);
    await signIn(new Browser(flow.server), flow.server, flow.client, flow.users.bob);
    clock.advance(60_000);
    const account = await openAccount(new Browser(flow.server), flow.users.bob);
    const rows = signInRows(account);
    expect(rows).toHaveLength(4);
    expect(rows.map((row) => (row.includes('Example App') ? 'app' : row.includes('Account page') ? 'account' : row))).toEqual([
      'account',
      'app',
      'account',
      'account',
    ]);
    for (const row of rows) {
      expect(row).toContain('Password');
      expect(row).toContain('Signed in');
    }
    // Newest first: the first row is the latest, the one before it a minute older.
    expect(rows[0]!.startsWith('just now')).toBe(true);
    expect(rows[1]!.startsWith('1 minute ago')).toBe(true);
  });
});

describe('connected applications', () => {
  it('lists an application the user allowed; removing its access kills its tokens at once and is audited', async () => {
    const browser = new Browser(flow.server);
    const tokens = await signIn(browser, flow.server, flow.client, flow.users.bob, { scope: 'openid email offline_access' });
    let account = await openAccount(browser, flow.users.bob);
    expect(isAccountPage(account)).toBe(true);
    expect(textOf(account.body)).toContain('Example App');
    account = await browser.submit(account, {}, { actionPart: '/account/apps/revoke' });
    expect(textOf(account.body)).toContain('no longer has access');
    expect(textOf(account.body)).toContain('No applications have access');

    const refreshed = await flow.server.post(
      '/token',
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! },
      { headers: { authorization: `Basic ${Buffer.from(`${flow.client.clientId}:${flow.client.clientSecret}`).toString('base64')}` } },
    );
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
    const info = await flow.server.get('/userinfo', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(401);
    const events = await flow.server.store.audit.tail(5, 'consent.revoked');
    expect(events[0]).toMatchObject({ clientId: flow.client.clientId, subject: flow.users.bob.record.id, outcome: 'success' });
    // Next time the application must ask again.
    expect((await promptNone(browser, flow.server, flow.client)).get('error')).toBe('consent_required');
  });
});
