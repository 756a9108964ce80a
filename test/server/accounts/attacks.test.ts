/**
 * Security review of issue 17 (sign-up, verification, forgotten passwords, sign-in by email, the
 * account page's details, invitations): each test is an attack from the outside, through the fetch
 * handler, with the development outbox as the email and SMS sender (test/helpers/accounts.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { inviteUser } from '../../../src/server/accounts/invitations.js';
import { readOutbox } from '../../../src/server/mfa/senders/dev-outbox.js';
import {
  closeOutboxFlows,
  invitationContext,
  postAccountForm as post,
  settle,
  startOutboxFlow,
  waitForEmail,
  type OutboxFlow,
} from '../../helpers/accounts.js';
import { authorizeParams, authorizeUrl, Browser, expectPage, pkce, type Page } from '../../helpers/flow.js';
import { expectMfaChallenge, factorContext, giveContact, giveTotp, isAccountPage, isMfaChallenge, openAccount, submitMfa, textOf } from '../../helpers/mfa.js';
import { SECRET, type TestServerOptions } from '../../helpers/server.js';
import { parseForms } from '../../helpers/user-agent.js';

const ALICE = 'alice@example.com';
const NEW_PASSWORD = 'correct horse battery staple';

let setup: OutboxFlow | undefined;
afterEach(async () => {
  await closeOutboxFlows();
  setup = undefined;
});

/** alice, bob and a client; the outbox carries email and SMS; proof of work off. */
async function setUp(options: TestServerOptions = {}): Promise<OutboxFlow> {
  setup = await startOutboxFlow(options, { sms: true });
  return setup;
}

/** "Forgot password?" for `address`, in `browser`; the emailed link. */
async function requestReset(browser: Browser, address: string, count = 1, to = address): Promise<string> {
  const forgot = await browser.open('/forgot-password');
  await browser.submit(forgot, { email: address });
  return (await waitForEmail(setup!.outbox, to, 'password_reset', count)).link!;
}

/** Opens a reset link and sets `password` with it; the last page. */
async function useResetLink(browser: Browser, link: string, password = NEW_PASSWORD): Promise<Page> {
  const form = await browser.open(link);
  if (form.status !== 200) return form;
  return browser.submit(form, { password });
}

describe('pending account links after the account changes hands', () => {
  it('an email change asked with a stolen session dies with the password reset that evicts the thief', async () => {
    const { server, users } = await setUp();
    // The thief, signed in as alice (phished password, recent sign-in), asks to move the account to their mailbox.
    const thief = new Browser(server);
    await openAccount(thief, users.alice);
    await post(thief, await thief.open('/account'), '/account/email', { email: 'thief@example.net' });
    const { link } = await waitForEmail(setup!.outbox, 'thief@example.net', 'email_change');
    await waitForEmail(setup!.outbox, ALICE, 'email_changed');

    // Alice, warned by the notice, resets her password: every session ends, the thief's too.
    const alice = new Browser(server);
    expect(textOf((await useResetLink(alice, await requestReset(alice, ALICE))).body)).toContain('Password changed');
    expect(isAccountPage(await thief.open('/account'))).toBe(false);

    // The thief's link needs no session: it must not work any more.
    const page = await thief.open(link!);
    if (page.status === 200) await thief.submit(page, {}, { actionPart: '/account/email/confirm' });
    expect((await server.store.users.get(users.alice.record.id))!.email).toBe(ALICE);
  });

  it('an email change asked with a stolen session dies with a password change on the account page', async () => {
    const { server, users } = await setUp();
    const thief = new Browser(server);
    await openAccount(thief, users.alice);
    await post(thief, await thief.open('/account'), '/account/email', { email: 'thief@example.net' });
    const { link } = await waitForEmail(setup!.outbox, 'thief@example.net', 'email_change');

    const alice = new Browser(server);
    const account = await openAccount(alice, users.alice);
    const changed = await post(alice, account, '/account/password', { current_password: users.alice.password, new_password: NEW_PASSWORD });
    expect(isAccountPage(changed)).toBe(true);

    const page = await thief.open(link!);
    if (page.status === 200) await thief.submit(page, {}, { actionPart: '/account/email/confirm' });
    expect((await server.store.users.get(users.alice.record.id))!.email).toBe(ALICE);
  });

  it('a reset link sent to the old address stops working once the address is changed', async () => {
    const { server, users } = await setUp();
    // Someone reading alice's old mailbox asked for a reset link before she moved the account to a new address.
    const attacker = new Browser(server);
    const link = await requestReset(attacker, ALICE);

    const alice = new Browser(server);
    await openAccount(alice, users.alice);
    const page = await post(alice, await alice.open('/account'), '/account/email', { email: 'alice@new.example' });
    const { code } = await waitForEmail(setup!.outbox, 'alice@new.example', 'email_change');
    expect(isAccountPage(await post(alice, page, '/account/email/confirm', { code: code }))).toBe(true);
    expect((await server.store.users.get(users.alice.record.id))!.email).toBe('alice@new.example');

    const used = await useResetLink(attacker, link);
    expect(used.status).toBe(400);
    expect(textOf(used.body)).not.toContain('Password changed');
  });

  it('a sign-in code sent to the old address stops working once the address is changed', async () => {
    const { server, users, client } = await setUp({ accounts: { passwordless: 'email' } });
    const attacker = new Browser(server);
    const login = expectPage(await attacker.open(authorizeUrl(server, authorizeParams(client, pkce().challenge))), 'login');
    const action = /formaction="([^"]+)"/.exec(login.body)![1]!;
    const codePage = await attacker.open(action, { form: { csrf: parseForms(login.body)[0]!.fields.csrf!, username: ALICE } });
    const { code, link } = await waitForEmail(setup!.outbox, ALICE, 'email_sign_in');

    const alice = new Browser(server);
    await openAccount(alice, users.alice);
    const page = await post(alice, await alice.open('/account'), '/account/email', { email: 'alice@new.example' });
    const change = await waitForEmail(setup!.outbox, 'alice@new.example', 'email_change');
    expect(isAccountPage(await post(alice, page, '/account/email/confirm', { code: change.code }))).toBe(true);

    const typed = await post(attacker, codePage, '/email-code/verify', { code });
    expect(typed.status).toBe(401);
    expect(typed.location).toBeUndefined();
    expect((await attacker.open(link!)).location).toBeUndefined();
    expect(isAccountPage(await attacker.open('/account'))).toBe(false);
  });
});

describe('one mailbox is one factor', () => {
  it('after signing in by email, a code to the same mailbox is not a second factor (no acr 2, no mfa)', async () => {
    const { server, users, client } = await setUp({ accounts: { passwordless: 'email' }, mfa: { policy: 'optional' } });
    // Alice's second factor is a code by email, to the address she signs in with: the usual choice.
    const factor = await giveContact(factorContext(server.store, server.clock, SECRET), users.alice.record.id, 'email', ALICE);
    // Someone who reads her mailbox (and nothing else) signs in by email, for an application asking for two factors.
    const thief = new Browser(server);
    const login = expectPage(await thief.open(authorizeUrl(server, authorizeParams(client, pkce().challenge, { acr_values: '2' }))), 'login');
    const action = /formaction="([^"]+)"/.exec(login.body)![1]!;
    const codePage = await thief.open(action, { form: { csrf: parseForms(login.body)[0]!.fields.csrf!, username: ALICE } });
    const { code } = await waitForEmail(setup!.outbox, ALICE, 'email_sign_in');
    const mfa = expectMfaChallenge(await post(thief, codePage, '/email-code/verify', { code }));

    // The second step refuses to send a code to the mailbox just used…
    const sent = await submitMfa(thief, mfa, 'send', { factor: factor.id });
    expect(textOf(sent.body)).toContain('use another way to verify');
    await settle(5);
    expect((await readOutbox(setup!.outbox)).filter((entry) => entry.purpose === 'sign_in')).toEqual([]);
    // …and refuses a code of that factor got otherwise (alice signing in with her password meanwhile).
    const alice = new Browser(server);
    const aliceLogin = expectPage(await alice.open(authorizeUrl(server, authorizeParams(client, pkce().challenge))), 'login');
    const aliceMfa = expectMfaChallenge(await alice.submit(aliceLogin, { username: 'alice', password: users.alice.password }));
    await submitMfa(alice, aliceMfa, 'send', { factor: factor.id });
    const { code: factorCode } = (await readOutbox(setup!.outbox)).find((entry) => entry.purpose === 'sign_in')!;
    const form = parseForms(sent.body).find((candidate) => candidate.fields.method === 'send')!;
    const typed = await thief.open(new URL(form.action, sent.url).href, { form: { ...form.fields, method: 'contact', code: factorCode } });
    expect(isMfaChallenge(typed)).toBe(true);
    expect(typed.location).toBeUndefined();
    expect(isAccountPage(await thief.open('/account'))).toBe(false);
  });

  it('a reset link and a code to the same mailbox do not pass the second factor of a reset', async () => {
    const { server, users } = await setUp();
    const factor = await giveContact(factorContext(server.store, server.clock, SECRET), users.alice.record.id, 'email', ALICE);
    const thief = new Browser(server);
    const page = await thief.open(await requestReset(thief, ALICE));
    const send = parseForms(page.body).find((form) => form.fields.method === 'send' && form.fields.factor === factor.id)!;
    const refused = await thief.open(new URL(send.action, page.url).href, { form: send.fields });
    expect(refused.status).toBe(401);
    expect(textOf(refused.body)).toContain('use another way to verify');
    await settle(5);
    expect((await readOutbox(setup!.outbox)).filter((entry) => entry.purpose === 'sign_in')).toEqual([]);
    expect(refused.body).not.toContain('autocomplete="new-password"');
  });
});

describe('bad input to every new form', () => {
  it('wrong content type, invalid UTF-8, repeated, huge and missing fields: a 4xx page, never a 500, never the input', async () => {
    const { server, users, client } = await setUp({ accounts: { passwordless: 'email', signUp: 'open' } });
    const browser = new Browser(server);
    await openAccount(browser, users.alice);
    const login = expectPage(await browser.open(authorizeUrl(server, authorizeParams(client, pkce().challenge, { prompt: 'login' }))), 'login');
    const id = /\/interaction\/([^/"]+)\//.exec(login.body)![1]!;
    const csrf = parseForms(login.body)[0]!.fields.csrf!;
    const token = 'A'.repeat(43);
    const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const posts = [
      '/forgot-password',
      '/reset-password',
      '/reset-password/mfa',
      `/interaction/${id}/email-code`,
      `/interaction/${id}/email-code/verify`,
      `/interaction/${id}/signup`,
      `/interaction/${id}/verify-email`,
      `/interaction/${id}/verify-email/resend`,
      '/verify-email',
      '/account/password',
      '/account/email',
      '/account/email/confirm',
      `/account/email/confirm?token=${token}`,
      '/account/profile',
      '/account/phone',
      '/account/phone/confirm',
      '/account/delete',
      '/invitation',
    ];
    const marker = '<script>x</script>';
    const bodies: { type: string; body: string }[] = [
      { type: 'text/plain', body: `csrf=${csrf}&email=${encodeURIComponent(marker)}` },
      { type: 'application/x-www-form-urlencoded', body: `csrf=${csrf}&email=%FF%FE${encodeURIComponent(marker)}&name=%C3%28` },
      { type: 'application/x-www-form-urlencoded', body: `csrf=${csrf}&email=a%40b.example&email=${encodeURIComponent(marker)}` },
      { type: 'application/x-www-form-urlencoded', body: `csrf=${csrf}&email=${'x'.repeat(200_000)}${encodeURIComponent(marker)}` },
      { type: 'application/x-www-form-urlencoded', body: `csrf=${csrf}&name=${encodeURIComponent(marker)}&token=${encodeURIComponent(marker)}` },
      { type: 'application/x-www-form-urlencoded', body: '' },
    ];
    const failures: string[] = [];
    for (const path of posts) {
      for (const { type, body } of bodies) {
        const response = await server.server.fetch(
          new Request(`${server.issuer}${path}`, { method: 'POST', headers: { 'Content-Type': type, Cookie: cookie }, body }),
        );
        const text = await response.text();
        if (response.status >= 500 || (response.status < 400 && response.status !== 200 && response.status !== 302 && response.status !== 303))
          failures.push(`${path} ${type} ${body.slice(0, 40)}: ${response.status}`);
        if (text.includes(marker) || /at \w+ \(.*\.ts:\d+/.test(text)) failures.push(`${path} echoed or traced: ${response.status}`);
      }
    }
    for (const path of ['/reset-password', '/verify-email', '/email-sign-in', '/invitation', '/account/email/confirm']) {
      for (const value of ['%FF', encodeURIComponent(marker), 'A'.repeat(5000), `${token}&token=${token}`]) {
        const response = await server.server.fetch(new Request(`${server.issuer}${path}?token=${value}`, { headers: { Cookie: cookie } }));
        const text = await response.text();
        if (response.status >= 500 || text.includes(marker)) failures.push(`GET ${path}?token=${value.slice(0, 20)}: ${response.status}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('the sign-up form as a way to mail strangers', () => {
  it('the name typed on the form cannot put words or links in the email to the typed address', async () => {
    const { server } = await setUp({ accounts: { signUp: 'open' } });
    const browser = new Browser(server);
    const form = await browser.open('/signup');
    expect(form.status).toBe(200);
    const lure = 'Your account is locked.\nCall +1 555 0100 or visit https://evil.example/unlock now';
    const sent = await browser.submit(form, { email: 'victim@example.org', name: lure, password: NEW_PASSWORD });
    expect(sent.status).toBeLessThan(500);
    await settle(15);
    const emails = (await readOutbox(setup!.outbox).catch(() => [])).filter((entry) => entry.to === 'victim@example.org');
    for (const email of emails) {
      expect(email.text).not.toContain('evil.example');
      expect(email.html ?? '').not.toContain('evil.example');
      expect(email.subject).not.toContain('evil.example');
    }
    // A name that reads backwards, or carries control characters, is refused like on the account page.
    const again = await browser.open('/signup');
    const refused = await browser.submit(again, { email: 'victim2@example.org', name: 'Alice \u202Emoc.live', password: NEW_PASSWORD });
    expect(refused.status).toBe(400);
  });
});

describe('invitations', () => {
  async function invite(email: string): Promise<string> {
    return (await inviteUser(invitationContext(setup!.server, setup!.outbox), { email }, { requireEmail: true })).link;
  }

  it('the name chosen on the invitation page follows the profile rules (one line, no bidirectional override, 100 characters)', async () => {
    const { server } = await setUp();
    const browser = new Browser(server);
    const link = await invite('grace@example.com');
    const page = await browser.open(link);
    expect(page.status).toBe(200);
    const bidi = await browser.submit(page, { name: 'Grace \u202Emoc.live\nsecond line', password: NEW_PASSWORD });
    expect(bidi.status).toBe(400);
    const long = await browser.submit(page, { name: 'G'.repeat(5000), password: NEW_PASSWORD });
    expect(long.status).toBe(400);
    expect(await server.store.users.findByLogin('grace@example.com')).toBeUndefined();
  });
});

describe('account enumeration through the email change', () => {
  it("the account's own mailbox gets the same notice whether or not the new address has an account", async () => {
    const { server, users } = await setUp();
    const browser = new Browser(server);
    await openAccount(browser, users.alice);
    await post(browser, await browser.open('/account'), '/account/email', { email: 'nobody@example.org' });
    await waitForEmail(setup!.outbox, ALICE, 'email_changed', 1);
    // bob@example.com has an account: alice, reading her own mailbox, must not be able to tell.
    await post(browser, await browser.open('/account'), '/account/email', { email: 'bob@example.com' });
    const notices = await waitForEmail(setup!.outbox, ALICE, 'email_changed', 2).catch(() => undefined);
    expect(notices).toBeDefined();
    await settle(5);
    expect((await readOutbox(setup!.outbox)).filter((entry) => entry.to === 'bob@example.com')).toEqual([]);
  });
});

describe('the audit log of a reset', () => {
  it('a wrong second factor on the reset page is recorded as such (purpose password_reset)', async () => {
    const { server, users } = await setUp();
    await giveTotp(factorContext(server.store, server.clock, SECRET), users.alice.record.id);
    const browser = new Browser(server);
    const page = await browser.open(await requestReset(browser, ALICE));
    const totp = parseForms(page.body).find((form) => form.fields.method === 'totp')!;
    const wrong = await browser.open(new URL(totp.action, page.url).href, { form: { ...totp.fields, code: '000000' } });
    expect(wrong.status).toBe(401);
    const failed = (await server.store.audit.list({ type: 'mfa.failed' })).map((event) => event.details);
    expect(failed).toEqual([expect.objectContaining({ method: 'totp', purpose: 'password_reset' })]);
  });
});
