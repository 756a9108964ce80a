/**
 * Issue 17 item 5, the account page's own details: changing (or setting) the password, changing the
 * email address, editing the profile and a verified phone number. Driven like a user with
 * JavaScript off, through the fetch handler, with the development outbox as the email and SMS sender.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser } from '../../../src/server/admin/users.js';
import { readOutbox } from '../../../src/server/mfa/senders/index.js';
import {
  auditDetails,
  closeOutboxFlows,
  isLoginPage,
  postAccountForm as post,
  RECENT_AUTH_SECONDS,
  settle,
  startOutboxFlow as setUp,
  waitForEmail,
  type OutboxFlow as Setup,
} from '../../helpers/accounts.js';
import { Browser, refresh, signIn, submitLogin } from '../../helpers/flow.js';
import { isAccountPage, openAccount, textOf } from '../../helpers/mfa.js';
import { parseForms } from '../../helpers/user-agent.js';

const STRONG_PASSWORD = 'violet tractor monsoon ledger';

afterEach(closeOutboxFlows);

describe('changing the password', () => {
  let setup: Setup;
  beforeEach(async () => {
    setup = await setUp();
  });

  it('with the current password: other sessions and every token end, this browser stays signed in, a notice goes out', async () => {
    const { server, users, client } = setup;
    const here = new Browser(server);
    const there = new Browser(server);
    expect(isAccountPage(await openAccount(there, users.alice))).toBe(true);
    const app = await signIn(new Browser(server), server, client, users.alice);
    const account = await openAccount(here, users.alice);

    const done = await post(here, account, '/account/password', { current_password: users.alice.password, new_password: STRONG_PASSWORD });
    expect(isAccountPage(done)).toBe(true);
    expect(textOf(done.body)).toContain('Password changed. Your other sessions are signed out.');

    // The other browser's cookie no longer works; the application's refresh token is dead; this browser carries on.
    expect(isLoginPage(await there.open('/account'))).toBe(true);
    expect((await refresh(server, client, app.refresh_token!)).status).toBe(400);
    expect(isAccountPage(await here.open('/account'))).toBe(true);

    // The old password no longer signs in; the new one does.
    const fresh = new Browser(server);
    expect(isLoginPage(await submitLogin(fresh, await fresh.open('/account'), users.alice))).toBe(true);
    expect(isAccountPage(await submitLogin(fresh, await fresh.open('/account'), users.alice, STRONG_PASSWORD))).toBe(true);

    await waitForEmail(setup.outbox, 'alice@example.com', 'password_changed');
    await settle();
    expect((await readOutbox(setup.outbox)).filter((entry) => entry.purpose === 'password_changed').map((entry) => entry.to)).toEqual(['alice@example.com']);
    // The other browser and the application's sign-in.
    expect(await auditDetails(setup, 'password.changed')).toEqual([{ set: false, sessions_ended: 2 }]);
  });

  it('refuses a wrong current password, a weak new one, and a post without its CSRF token', async () => {
    const { server, users } = setup;
    const browser = new Browser(server);
    const account = await openAccount(browser, users.alice);
    const before = (await server.store.users.get(users.alice.record.id))!.passwordHash;

    const wrong = await post(browser, account, '/account/password', { current_password: 'not-her-password', new_password: STRONG_PASSWORD });
    expect(wrong.status).toBe(400);
    expect(textOf(wrong.body)).toContain('Your current password is not right.');

    const weak = await post(browser, account, '/account/password', { current_password: users.alice.password, new_password: 'password1' });
    expect(weak.status).toBe(400);
    expect(textOf(weak.body)).toContain('This password is too easy to guess.');

    const forged = await post(browser, account, '/account/password', { current_password: users.alice.password, new_password: STRONG_PASSWORD }, ['csrf']);
    expect(forged.status).toBe(403);

    expect((await server.store.users.get(users.alice.record.id))!.passwordHash).toBe(before);
    expect(await auditDetails(setup, 'password.change_failed')).toEqual([{ reason: 'wrong_password' }]);
  });

  it('an account without a password sets one after a recent sign-in, without a current password', async () => {
    const { server, users, clock } = setup;
    const browser = new Browser(server);
    const account = await openAccount(browser, users.alice);
    // As an account made by an upstream sign-in: no password.
    const stored = (await server.store.users.get(users.alice.record.id))!;
    await server.store.users.update({ ...stored, passwordHash: null });
    const page = await browser.open('/account');
    expect(textOf(page.body)).toContain('Your account has no password');
    expect(parseForms(page.body).find((form) => form.action.endsWith('/account/password'))).toBeDefined();

    clock.advance((RECENT_AUTH_SECONDS + 1) * 1000);
    const stale = await post(browser, account, '/account/password', { new_password: STRONG_PASSWORD });
    expect(stale.status).toBe(403);
    expect(textOf(stale.body)).toContain('please sign in again first');

    clock.advance(-(RECENT_AUTH_SECONDS + 1) * 1000);
    const set = await post(browser, account, '/account/password', { new_password: STRONG_PASSWORD });
    expect(textOf(set.body)).toContain('Password set.');
    expect((await server.store.users.get(users.alice.record.id))!.passwordHash).not.toBeNull();
    expect(await auditDetails(setup, 'password.changed')).toEqual([{ set: true, sessions_ended: 0 }]);
  });
});

describe('changing the email address', () => {
  let setup: Setup;
  beforeEach(async () => {
    setup = await setUp({ accounts: { allowedEmailDomains: ['example.com', 'example.org'] } });
  });

  const changeTo = async (browser: Browser, address: string) => post(browser, await browser.open('/account'), '/account/email', { email: address });

  it('sends a code to the new address and a notice to the old one; the account keeps its address until the code is typed', async () => {
    const { server, users } = setup;
    const browser = new Browser(server);
    await openAccount(browser, users.alice);
    const page = await changeTo(browser, 'Alice.New@Example.org');
    expect(page.status).toBe(200);
    expect(textOf(page.body)).toContain('If alice.new@example.org can be used, we sent a 6-digit code to it.');

    const change = await waitForEmail(setup.outbox, 'alice.new@example.org', 'email_change');
    expect(change.link).toMatch(/\/account\/email\/confirm\?token=[\w-]{43}$/);
    await waitForEmail(setup.outbox, 'alice@example.com', 'email_changed');
    expect((await server.store.users.get(users.alice.record.id))!.email).toBe('alice@example.com');

    const done = await post(browser, page, '/account/email/confirm', { code: change.code });
    expect(isAccountPage(done)).toBe(true);
    expect(textOf(done.body)).toContain('Your email address is changed.');
    expect(textOf(done.body)).toContain('alice.new@example.org Verified');
    expect(await server.store.users.get(users.alice.record.id)).toMatchObject({ email: 'alice.new@example.org', emailVerified: true });
    expect(await auditDetails(setup, 'email.changed')).toEqual([{ by: 'code' }]);
  });

  it('the emailed link shows a button (opening it uses nothing up) that confirms, even in another browser', async () => {
    const { server, users } = setup;
    const browser = new Browser(server);
    await openAccount(browser, users.bob);
    await changeTo(browser, 'bob@example.org');
    const { link } = await waitForEmail(setup.outbox, 'bob@example.org', 'email_change');
    const phone = new Browser(server);
    await phone.open(link!);
    const page = await phone.open(link!);
    expect(textOf(page.body)).toContain('Use bob@example.org as the email address of your account?');
    await phone.submit(page, {}, { actionPart: '/account/email/confirm' });
    expect(await server.store.users.get(users.bob.record.id)).toMatchObject({ email: 'bob@example.org', emailVerified: true });
    // Used once.
    expect((await phone.open(link!)).status).toBe(400);
  });

  it('a taken address gets the same answer and nothing is sent to it; a refused domain and a stale sign-in are said', async () => {
    const { server, users, clock } = setup;
    const browser = new Browser(server);
    await openAccount(browser, users.alice);
    const taken = await changeTo(browser, 'bob@example.com');
    expect(taken.status).toBe(200);
    expect(textOf(taken.body)).toContain('If bob@example.com can be used, we sent a 6-digit code to it.');
    await settle();
    // Only the notice to the account's own address, as for any address: nothing to the taken one.
    expect((await readOutbox(setup.outbox).catch(() => [])).map((entry) => [entry.to, entry.purpose])).toEqual([['alice@example.com', 'email_changed']]);

    const domain = await changeTo(browser, 'alice@elsewhere.net');
    expect(domain.status).toBe(400);
    expect(textOf(domain.body)).toContain('Use an address at example.com, example.org.');

    const invalid = await changeTo(browser, '<script>@x');
    expect(invalid.status).toBe(400);
    expect(invalid.body).not.toContain('<script>');

    clock.advance((RECENT_AUTH_SECONDS + 1) * 1000);
    const stale = await changeTo(browser, 'alice2@example.com');
    expect(stale.status).toBe(403);
    expect(textOf(stale.body)).toContain('please sign in again first');
  });

  it('an address taken between the request and the code: nothing changes (409)', async () => {
    const { server, users, clock } = setup;
    const browser = new Browser(server);
    await openAccount(browser, users.alice);
    const page = await changeTo(browser, 'wanted@example.com');
    const { code } = await waitForEmail(setup.outbox, 'wanted@example.com', 'email_change');
    await createUser(server.store, { username: 'carol', email: 'wanted@example.com' }, clock.now());
    const refused = await post(browser, page, '/account/email/confirm', { code });
    expect(refused.status).toBe(409);
    expect(textOf(refused.body)).toContain('That address can no longer be used.');
    expect((await server.store.users.get(users.alice.record.id))!.email).toBe('alice@example.com');
  });
});

describe('the profile and the phone number', () => {
  it('saves the claims, says what is wrong by field, and records only the names of the changed claims', async () => {
    const setup = await setUp();
    const { server, users } = setup;
    const browser = new Browser(server);
    const account = await openAccount(browser, users.alice);

    const bad = await post(browser, account, '/account/profile', { zoneinfo: 'Mars/Olympus', picture: 'http://example.com/a.png', given_name: '<b>Al</b>' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('id="profile-zoneinfo-error"');
    expect(textOf(bad.body)).toContain('Enter a time zone by its IANA name');
    expect(textOf(bad.body)).toContain('The picture address must start with https://.');
    expect(bad.body).not.toContain('<b>Al</b>');

    const profile = {
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      picture: 'https://cdn.example.com/alice.png',
      locale: 'en-GB',
      zoneinfo: 'Europe/London',
    };
    const saved = await post(browser, account, '/account/profile', profile);
    expect(textOf(saved.body)).toContain('Profile saved.');
    expect((await server.store.users.get(users.alice.record.id))!.profile).toEqual(profile);
    expect(await auditDetails(setup, 'profile.updated')).toEqual([{ fields: ['given_name', 'family_name', 'picture', 'locale', 'zoneinfo'] }]);
  });

  it('a phone number is confirmed by a texted code and becomes the verified phone_number; no SMS sender, no phone form', async () => {
    const setup = await setUp({}, { sms: true });
    const { server, users } = setup;
    const browser = new Browser(server);
    const account = await openAccount(browser, users.bob);
    const ask = await post(browser, account, '/account/phone', { phone: '+44 7700 900123' });
    expect(textOf(ask.body)).toContain('Confirm your phone number');
    const sms = (await readOutbox(setup.outbox)).find((entry) => entry.channel === 'sms')!;
    expect(sms.to).toBe('+447700900123');
    const done = await post(browser, ask, '/account/phone/confirm', { code: sms.code });
    expect(textOf(done.body)).toContain('Phone number confirmed and saved.');
    expect((await server.store.users.get(users.bob.record.id))!.profile).toMatchObject({ phone_number: '+447700900123', phone_number_verified: true });
    // Not a second factor.
    expect(await server.store.factors.listByUser(users.bob.record.id)).toEqual([]);

    const noSms = await setUp();
    const page = await openAccount(new Browser(noSms.server), noSms.users.bob);
    expect(parseForms(page.body).some((form) => form.action.endsWith('/account/phone'))).toBe(false);
  });
});
