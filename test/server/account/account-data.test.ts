/**
 * Issue 17 item 5, the account's data: "Download your data" holds no secret and needs a recent
 * sign-in, and deleting the account, at once or after a grace period (restored, or swept when due).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { createAuditLog } from '../../../src/server/audit/audit-log.js';
import { deletionDueAt, purgeDeletedAccounts, restoreDeletedAccount } from '../../../src/server/accounts/account-deletion.js';
import { SESSION, userOwner } from '../../../src/server/session/sessions.js';
import {
  auditDetails,
  closeOutboxFlows,
  isLoginPage,
  postAccountForm as post,
  RECENT_AUTH_SECONDS,
  startOutboxFlow as setUpAccounts,
  waitForEmail,
} from '../../helpers/accounts.js';
import { Browser, signIn, submitLogin, type Page } from '../../helpers/flow.js';
import { expectMfaChallenge, factorContext, giveRecoveryCodes, giveTotp, isAccountPage, openAccount, submitMfa, textOf, totpAt } from '../../helpers/mfa.js';
import { parseForms } from '../../helpers/user-agent.js';

const DAY_MS = 86_400_000;

afterEach(closeOutboxFlows);

/** Alice signed in at the client in one browser, and on her account page in another. */
async function aliceSignedInTwice() {
  const setup = await setUpAccounts();
  const { server, users, client } = setup;
  await signIn(new Browser(server), server, client, users.alice);
  const browser = new Browser(server);
  const account = await openAccount(browser, users.alice);
  return { setup, ...setup, alice: users.alice.record, browser, account };
}

describe('download your data', () => {
  it('is a JSON attachment, never cached, with the profile, methods, sessions, applications and sign-ins, and no secret', async () => {
    const setup = await setUpAccounts();
    const { server, users, client, clock } = setup;
    const alice = users.alice.record;
    await signIn(new Browser(server), server, client, users.alice);
    const totp = await giveTotp(factorContext(server.store, clock), alice.id);
    await giveRecoveryCodes(factorContext(server.store, clock), alice.id);
    // A fresh sign-in with both steps: the download needs a recent sign-in.
    clock.advance(30_000);
    const browser = new Browser(server);
    const challenge = expectMfaChallenge(await openAccount(browser, users.alice));
    const account = await submitMfa(browser, challenge, 'totp', { code: await totpAt(totp.secret, clock.now()) });
    expect(isAccountPage(account)).toBe(true);
    const link = /href="([^"]*\/account\/export)"/.exec(account.body)?.[1];
    expect(link).toBeDefined();

    const response = await browser.open(link!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="account.json"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const data = JSON.parse(response.body) as Record<string, unknown>;
    expect(data.profile).toMatchObject({ sub: alice.id, username: 'alice', email: 'alice@example.com', email_verified: true, has_password: true });
    expect((data.sign_in_methods as { type: string }[]).map((method) => method.type).sort()).toEqual(['recovery_codes', 'totp']);
    expect(data.sessions).toHaveLength(2);
    expect(data.connected_applications).toEqual([expect.objectContaining({ client: 'Example App', scope: expect.stringContaining('openid') as unknown })]);
    expect((data.recent_sign_ins as unknown[]).length).toBeGreaterThanOrEqual(2);

    // No secret: no password hash, no factor data, no session ids (the keyed hashes the store keeps).
    expect(response.body).not.toContain(alice.passwordHash!);
    for (const word of ['passwordhash', 'password_hash', '"data"', 'secret', '"hash"']) expect(response.body.toLowerCase()).not.toContain(word);
    for (const factor of await server.store.factors.listByUser(alice.id)) expect(response.body).not.toContain(JSON.stringify(factor.data).slice(1, 40));
    for (const session of await server.store.artifacts.listByOwner(SESSION, userOwner(alice.id))) {
      expect(response.body).not.toContain(session.id);
      expect(response.body).not.toContain(String(session.value && (session.value as { sid: string }).sid));
    }
    expect(await auditDetails(setup, 'account.exported')).toHaveLength(1);
  });

  it('needs a recent sign-in: a session cookie alone (an old sign-in, or one without the second step) gets the "sign in again" page, not the data', async () => {
    const setup = await setUpAccounts();
    const { server, users, clock } = setup;
    const browser = new Browser(server);
    const fresh = await openAccount(browser, users.bob);
    expect(fresh.body).toContain('/account/export');
    clock.advance((RECENT_AUTH_SECONDS + 1) * 1000);

    const stale = await browser.open('/account/export');
    expect(stale.status).toBe(403);
    expect(stale.headers.get('content-disposition')).toBeNull();
    expect(textOf(stale.body)).toContain('To download your data, please sign in again first.');
    expect(stale.body).not.toContain('bob@example.com');
    expect(parseForms(stale.body).map((form) => form.action)).toEqual([expect.stringMatching(/\/account\/reauth$/)]);
    // The account page offers "Sign in again" in place of the download until the user signs in again.
    const page = await browser.open('/account');
    expect(page.body).not.toContain('/account/export');
    expect(textOf(page.body)).toContain('To download your data, sign in again first.');
    // A session that skipped the second step set up since is not recent either.
    const other = new Browser(server);
    await openAccount(other, users.alice);
    await giveTotp(factorContext(server.store, clock), users.alice.record.id);
    expect((await other.open('/account/export')).status).toBe(403);
    // Without a session: off to sign in.
    expect(isLoginPage(await new Browser(server).open('/account/export'))).toBe(true);
    expect(await auditDetails(setup, 'account.exported')).toEqual([]);

    // Signing in again brings the download back.
    const login = await browser.submit(stale, {}, { actionPart: '/account/reauth' });
    const again = await submitLogin(browser, login, users.bob);
    expect(isAccountPage(again)).toBe(true);
    const link = /href="([^"]*\/account\/export)"/.exec(again.body)?.[1];
    const download = await browser.open(link!);
    expect(download.status).toBe(200);
    expect((JSON.parse(download.body) as { profile: { username: string } }).profile.username).toBe('bob');
    expect(await auditDetails(setup, 'account.exported')).toHaveLength(1);
  });
});

/** The account's "Delete account" page, reached by its link. */
async function openDeletePage(browser: Browser, account: Page): Promise<Page> {
  const href = /href="([^"]*\/account\/delete)"/.exec(account.body)?.[1];
  if (!href) throw new Error('no "Delete my account" link');
  return browser.open(href);
}

describe('deleting the account', () => {
  it('at once: confirmation and current password needed; then every trace goes, the session ends and signing in fails', async () => {
    const { setup, server, users, alice, browser, account } = await aliceSignedInTwice();
    const page = await openDeletePage(browser, account);
    expect(textOf(page.body)).toContain('Your account is removed at once.');

    const unconfirmed = await post(browser, page, '/account/delete', { confirm: 'please', current_password: users.alice.password });
    expect(unconfirmed.status).toBe(400);
    expect(textOf(unconfirmed.body)).toContain('Type DELETE (or your email address) to confirm.');
    const wrong = await post(browser, page, '/account/delete', { confirm: 'DELETE', current_password: 'nope-nope-nope' });
    expect(wrong.status).toBe(400);
    expect(textOf(wrong.body)).toContain('Your current password is not right.');
    const forged = await post(browser, page, '/account/delete', { confirm: 'DELETE', current_password: users.alice.password }, ['csrf']);
    expect(forged.status).toBe(403);
    expect(await server.store.users.get(alice.id)).toBeDefined();

    const deleted = await post(browser, page, '/account/delete', { confirm: 'alice@example.com', current_password: users.alice.password });
    expect(deleted.status).toBe(200);
    expect(textOf(deleted.body)).toContain('Your account is deleted');
    expect(deleted.headers.getSetCookie().some((cookie) => cookie.startsWith('gh_session=;'))).toBe(true);
    expect(await server.store.users.get(alice.id)).toBeUndefined();
    expect(await server.store.factors.listByUser(alice.id)).toEqual([]);
    expect(await server.store.artifacts.listByOwner(SESSION, userOwner(alice.id))).toEqual([]);
    expect((await server.store.consents.listBySubject(alice.id)).every((consent) => consent.revokedAt !== null)).toBe(true);

    const again = new Browser(server);
    const login = await submitLogin(again, await again.open('/account'), users.alice);
    expect(isLoginPage(login)).toBe(true);
    expect(textOf(login.body)).toContain('The username or password is incorrect.');
    await waitForEmail(setup.outbox, 'alice@example.com', 'account_deleted');
    expect(await auditDetails(setup, 'user.deleted')).toEqual([{ by: 'self', grace_days: 0 }]);
  });

  it('needs a recent sign-in', async () => {
    const setup = await setUpAccounts();
    const browser = new Browser(setup.server);
    const page = await openDeletePage(browser, await openAccount(browser, setup.users.bob));
    setup.clock.advance((RECENT_AUTH_SECONDS + 1) * 1000);
    const stale = await post(browser, page, '/account/delete', { confirm: 'DELETE', current_password: setup.users.bob.password });
    expect(stale.status).toBe(403);
    expect(textOf(stale.body)).toContain('To delete your account, please sign in again first.');
  });

  it('with a grace period: disabled and marked, restored within it; deleted again, swept when due', async () => {
    const setup = await setUpAccounts({ accounts: { deletionGraceDays: 7 } });
    const { server, users, clock } = setup;
    const bob = users.bob.record;
    const setupAudit = createAuditLog({ store: server.store, secretKeys: server.secretKeys, logger: silentLogger(), clock });
    const browser = new Browser(server);
    let page = await openDeletePage(browser, await openAccount(browser, users.bob));
    expect(textOf(page.body)).toContain('removed after 7 days');
    let deleted = await post(browser, page, '/account/delete', { confirm: 'DELETE', current_password: users.bob.password });
    expect(textOf(deleted.body)).toContain('will be removed on');
    expect(await server.store.users.get(bob.id)).toMatchObject({ disabled: true });
    expect(await deletionDueAt(server.store, bob.id)).toBe(clock.now() + 7 * DAY_MS);
    expect((await waitForEmail(setup.outbox, 'bob@example.com', 'account_deleted')).text).toContain('will be removed');
    const blocked = new Browser(server);
    expect(isLoginPage(await submitLogin(blocked, await blocked.open('/account'), users.bob))).toBe(true);

    // Restored by an operator within the grace: signs in again.
    await restoreDeletedAccount(server.store, clock, (await server.store.users.get(bob.id))!);
    expect(await deletionDueAt(server.store, bob.id)).toBeUndefined();
    const back = new Browser(server);
    expect(isAccountPage(await submitLogin(back, await back.open('/account'), users.bob))).toBe(true);

    // Deleted again; the sweep leaves it until due, then removes it.
    page = await openDeletePage(back, await back.open('/account'));
    deleted = await post(back, page, '/account/delete', { confirm: 'DELETE', current_password: users.bob.password });
    expect(textOf(deleted.body)).toContain('Your account is deleted');
    clock.advance(6 * DAY_MS);
    expect(await purgeDeletedAccounts(server.store, clock, setupAudit)).toEqual([]);
    expect(await server.store.users.get(bob.id)).toBeDefined();
    clock.advance(DAY_MS + 1000);
    expect((await purgeDeletedAccounts(server.store, clock, setupAudit)).map((user) => user.id)).toEqual([bob.id]);
    expect(await server.store.users.get(bob.id)).toBeUndefined();
    await expect(restoreDeletedAccount(server.store, clock, bob)).rejects.toThrow('is not waiting for deletion');
  });

  it('the account page offers the new sections, in order, each form with its CSRF token', async () => {
    const setup = await setUpAccounts();
    const browser = new Browser(setup.server);
    const account = await openAccount(browser, setup.users.alice);
    const headings = [...account.body.matchAll(/<h2 id="[^"]+">([^<]+)<\/h2>/g)].map((match) => match[1]);
    expect(headings).toEqual([
      'Profile',
      'Email address',
      'Password',
      'Two-step verification',
      'Connected applications',
      'Sessions',
      'Recent sign-ins',
      'Download your data',
      'Delete account',
    ]);
    // The language switcher only sets the language cookie: it carries no token.
    const forms = parseForms(account.body).filter((form) => !form.action.endsWith('/language'));
    for (const form of forms) expect(form.fields.csrf, form.action).toBeTruthy();
    expect(textOf(account.body)).toContain('sign out of the other sessions and change your password');
  });
});
