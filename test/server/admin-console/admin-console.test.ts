/**
 * Issue 18 item 3, the admin console at `/admin`, through the fetch handler: who gets in (an admin
 * signed in with a second factor), who is refused (signed out: off to sign in; no admin role: 403
 * on every path, GET and POST), CSRF, the recent sign-in and the confirmation dangerous actions
 * need, the audit record of each action, and bad input answered with a form error, never a 500.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ROUTES } from '../../../src/server/routes.js';
import { auditDetails, closeOutboxFlows, isLoginPage, linkHref, RECENT_AUTH_SECONDS, settle, startOutboxFlow } from '../../helpers/accounts.js';
import { Browser, submitLogin, type Page } from '../../helpers/flow.js';
import { expectMfaChallenge, factorContext, giveTotp, isMfaEnrolment, submitMfa, totpAt } from '../../helpers/mfa.js';
import { consoleFlow, csrfOf, signInToConsole } from '../../helpers/admin-console.js';

afterEach(closeOutboxFlows);

/** Every console path with its methods, a made-up id where the path has one. */
const CONSOLE_PATHS: { path: string; methods: ('GET' | 'POST')[] }[] = [
  { path: ROUTES.adminDashboard, methods: ['GET'] },
  { path: ROUTES.adminReauth, methods: ['POST'] },
  { path: ROUTES.adminClients, methods: ['GET'] },
  { path: ROUTES.adminClientNew, methods: ['GET', 'POST'] },
  { path: ROUTES.adminClient, methods: ['GET'] },
  { path: ROUTES.adminClientRedirectUris, methods: ['POST'] },
  { path: ROUTES.adminClientSecret, methods: ['POST'] },
  { path: ROUTES.adminClientDelete, methods: ['POST'] },
  { path: ROUTES.adminUsers, methods: ['GET'] },
  { path: ROUTES.adminUser, methods: ['GET'] },
  { path: ROUTES.adminUserUnlock, methods: ['POST'] },
  { path: ROUTES.adminUserDisabled, methods: ['POST'] },
  { path: ROUTES.adminUserSessionsRevoke, methods: ['POST'] },
  { path: ROUTES.adminUserFactorsReset, methods: ['POST'] },
  { path: ROUTES.adminUserAdminRole, methods: ['POST'] },
  { path: ROUTES.adminUserDelete, methods: ['POST'] },
  { path: ROUTES.adminUserConsentRevoke, methods: ['POST'] },
  { path: ROUTES.adminKeys, methods: ['GET'] },
  { path: ROUTES.adminKeysRotate, methods: ['POST'] },
  { path: ROUTES.adminAudit, methods: ['GET'] },
  { path: ROUTES.adminAuditVerify, methods: ['GET'] },
];

const concrete = (path: string, id: string) => path.replace(':id', id);

describe('who gets in', () => {
  it('an admin signs in with a second factor and lands on the dashboard', async () => {
    const flow = await consoleFlow();
    const { page } = await signInToConsole(flow, flow.users.alice);
    expect(page.status).toBe(200);
    expect(new URL(page.url).pathname).toBe('/admin');
    expect(page.body).toContain('<h1>Dashboard</h1>');
    expect(page.body).toContain('Signed in as');
  });

  it('an admin with no second factor is walked through setting one up', async () => {
    const flow = await startOutboxFlow();
    await flow.server.store.users.update({ ...flow.users.bob.record, roles: ['admin'] });
    const browser = new Browser(flow.server);
    const page = await submitLogin(browser, await browser.open('/admin'), flow.users.bob);
    expect(isMfaEnrolment(page)).toBe(true);
  });

  it('an admin whose session has no second factor (signed in at an application with a password) signs in again with one', async () => {
    const flow = await startOutboxFlow();
    await flow.server.store.users.update({ ...flow.users.bob.record, roles: ['admin'] });
    const browser = new Browser(flow.server);
    await submitLogin(browser, await browser.open('/account'), flow.users.bob);
    expect((await browser.open('/account')).body).toContain('<h1>Your account</h1>');
    const page = await browser.open('/admin');
    expect(isLoginPage(page)).toBe(true);
  });

  it('a signed-out browser is sent to sign in on every console path, GET and POST', async () => {
    const flow = await consoleFlow();
    for (const { path, methods } of CONSOLE_PATHS) {
      for (const method of methods) {
        const response = await flow.server.server.fetch(new Request(`${flow.server.issuer}${concrete(path, 'x')}`, { method, redirect: 'manual' }));
        expect(response.status, `${method} ${path}`).toBe(303);
        expect(response.headers.get('location'), `${method} ${path}`).toMatch(/\/interaction\//);
      }
    }
  });

  it('a signed-in user without the admin role gets the same 403 on every console path, GET and POST, and nothing is done', async () => {
    const flow = await consoleFlow();
    const { server, users } = flow;
    const browser = new Browser(server);
    await submitLogin(browser, await browser.open('/account'), users.bob);
    const before = await server.store.audit.list({ limit: 10_000 });
    for (const { path, methods } of CONSOLE_PATHS) {
      for (const method of methods) {
        const target = concrete(path, method === 'POST' ? users.alice.record.id : 'x');
        const page = await browser.open(target, method === 'POST' ? { method, form: { confirm: 'yes' } } : { method });
        expect(page.status, `${method} ${path}`).toBe(403);
        expect(page.body, `${method} ${path}`).toContain('only for administrators');
      }
    }
    expect((await server.store.users.get(users.alice.record.id))?.disabled).toBe(false);
    const after = await server.store.audit.list({ limit: 10_000 });
    expect(after.filter((event) => event.type.startsWith('admin.')).length).toBe(before.filter((event) => event.type.startsWith('admin.')).length);
  });

  it('with the MFA policy off, a page says why the console cannot be used and how to fix it', async () => {
    const flow = await startOutboxFlow({ mfa: { policy: 'off' } });
    const page = await new Browser(flow.server).open('/admin');
    expect(page.status).toBe(503);
    expect(page.body).toContain('GATEHOUSE_MFA_POLICY');
  });

  it('turned off, every console path answers 404', async () => {
    const flow = await startOutboxFlow({ admin: { console: false } });
    for (const { path, methods } of CONSOLE_PATHS) {
      const response = await flow.server.server.fetch(new Request(`${flow.server.issuer}${concrete(path, 'x')}`, { method: methods[0] }));
      expect(response.status, path).toBe(404);
    }
  });
});

describe('clients', () => {
  it('registers a client and shows its secret once, audited with the acting admin', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const form = await browser.open('/admin/clients/new');
    const created = await browser.submit(
      form,
      { name: 'Shop', type: 'confidential', redirect_uris: 'https://shop.example.com/callback', grant_authorization_code: 'yes' },
      { actionPart: '/admin/clients/new' },
    );
    expect(created.status).toBe(200);
    const clientId = /data-client-id>([^<]+)</.exec(created.body)?.[1];
    expect(/data-client-secret>([^<]+)</.exec(created.body)?.[1]).toMatch(/^[\w-]{40,}$/);
    const client = await flow.server.store.clients.get(clientId!);
    expect(client).toMatchObject({ clientName: 'Shop', redirectUris: ['https://shop.example.com/callback'] });
    expect(client?.grantTypes).toContain('authorization_code');
    expect(await auditDetails(flow, 'admin.client_created')).toEqual([expect.objectContaining({ target_client_id: clientId, via: 'console' })]);
    const event = (await flow.server.store.audit.list({ limit: 10_000 })).find((candidate) => candidate.type === 'admin.client_created');
    expect(event?.subject).toBe(flow.users.alice.record.id);
  });

  it('registers a token exchange client (RFC 8693) from the form; a public one is refused, saying why', async () => {
    const grant = 'urn:ietf:params:oauth:grant-type:token-exchange';
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const form = await browser.open('/admin/clients/new');
    expect(form.body).toContain(`name="grant_${grant}"`);
    const created = await browser.submit(
      form,
      { name: 'Notes API', type: 'confidential', grant_client_credentials: 'yes', [`grant_${grant}`]: 'yes', scope: 'notes:read' },
      { actionPart: '/admin/clients/new', omit: ['grant_authorization_code', 'grant_refresh_token', 'grant_urn:ietf:params:oauth:grant-type:device_code'] },
    );
    expect(created.status).toBe(200);
    const clientId = /data-client-id>([^<]+)</.exec(created.body)?.[1];
    expect((await flow.server.store.clients.get(clientId!))?.grantTypes).toEqual(['client_credentials', grant]);
    const refused = await browser.submit(
      await browser.open('/admin/clients/new'),
      { name: 'SPA', type: 'public', redirect_uris: 'https://spa.example.com/cb', grant_authorization_code: 'yes', [`grant_${grant}`]: 'yes' },
      { actionPart: '/admin/clients/new', omit: ['grant_client_credentials'] },
    );
    expect(refused.status).toBe(400);
    expect(/role="alert"[\s\S]*?<p>([^<]*)/.exec(refused.body)?.[1]).toBe(
      'A public client cannot use client credentials or token exchange: choose Confidential, or leave those grant types out.',
    );
  });

  it('bad input is the form again with a clear error (400), never a 500', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const form = await browser.open('/admin/clients/new');
    const refused = await browser.submit(
      form,
      { name: 'Shop', redirect_uris: 'not a url', grant_authorization_code: 'yes' },
      { actionPart: '/admin/clients/new' },
    );
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('role="alert"');
    expect(refused.body).toContain('aria-invalid="true"');
    // The focus is on the field in error (the redirect URIs), not on the first field.
    expect(refused.body).toMatch(/<textarea [^>]*id="redirect_uris"[^>]* autofocus aria-invalid="true"/);
    expect(refused.body).not.toMatch(/id="name"[^>]* autofocus/);
    const empty = await browser.submit(form, { name: '' }, { actionPart: '/admin/clients/new' });
    expect(empty.status).toBe(400);
    const badUris = await browser.open(`/admin/clients/${flow.client.clientId}/redirect-uris`, {
      method: 'POST',
      form: { csrf: csrfOf(form), redirect_uris: 'ftp://nope' },
    });
    expect(badUris.status).toBe(400);
    expect(badUris.body).toContain('role="alert"');
    expect((await browser.open('/admin/clients/nope')).status).toBe(404);
  });

  it('refuses a form without its CSRF token (403), and does nothing', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const page = await browser.open(`/admin/clients/${flow.client.clientId}/delete`, { method: 'POST', form: { confirm: 'yes', csrf: 'forged' } });
    expect(page.status).toBe(403);
    expect(await flow.server.store.clients.get(flow.client.clientId)).toBeDefined();
  });

  it('rotating a secret and deleting a client ask for a confirmation first, then do it', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const detail = await browser.open(`/admin/clients/${flow.client.clientId}`);
    const before = (await flow.server.store.clients.get(flow.client.clientId))!.clientSecretHash;
    const confirm = await browser.submit(detail, {}, { actionPart: '/secret' });
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Rotate the secret of');
    expect(confirm.body).toContain(`href="/admin/clients/${flow.client.clientId}"`); // Cancel goes back
    expect((await flow.server.store.clients.get(flow.client.clientId))!.clientSecretHash).toBe(before);
    const rotated = await browser.submit(confirm, {}, { actionPart: '/secret' });
    expect(rotated.body).toContain('data-client-secret');
    expect((await flow.server.store.clients.get(flow.client.clientId))!.clientSecretHash).not.toBe(before);
    expect(await auditDetails(flow, 'admin.client_secret_rotated')).toEqual([{ target_client_id: flow.client.clientId, via: 'console' }]);

    const askDelete = await browser.submit(detail, {}, { actionPart: '/delete' });
    expect(askDelete.body).toContain('Delete ');
    expect(await flow.server.store.clients.get(flow.client.clientId)).toBeDefined();
    const deleted = await browser.submit(askDelete, {}, { actionPart: '/delete' });
    expect(deleted.body).toContain('Client deleted.');
    expect(await flow.server.store.clients.get(flow.client.clientId)).toBeUndefined();
  });

  it('a dangerous action without a recent sign-in gets the "sign in again" page, which signs in again', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const detail = await browser.open(`/admin/clients/${flow.client.clientId}`);
    flow.clock.advance((RECENT_AUTH_SECONDS + 60) * 1000);
    const reauth = await browser.submit(detail, { confirm: 'yes' }, { actionPart: '/delete' });
    expect(reauth.status).toBe(403);
    expect(reauth.body).toContain('To delete a client, please sign in again first.');
    expect(await flow.server.store.clients.get(flow.client.clientId)).toBeDefined();
    const login = await browser.submit(reauth, {}, { actionPart: '/admin/reauth' });
    expect(isLoginPage(login)).toBe(true);
    const challenge = expectMfaChallenge(await submitLogin(browser, login, flow.users.alice));
    const back = await submitMfa(browser, challenge, 'totp', { code: await totpAt(flow.totp.secret, flow.clock.now()) });
    expect(back.body).toContain('<h1>Dashboard</h1>');
    const confirm = await browser.submit(await browser.open(`/admin/clients/${flow.client.clientId}`), {}, { actionPart: '/delete' });
    expect(confirm.body).toContain('This is what will happen');
  });
});

describe('users and keys', () => {
  it('finds a user, unlocks them, revokes their sessions (confirmed) and disables them, each audited with the acting admin', async () => {
    const flow = await consoleFlow();
    const { server, users } = flow;
    const bobBrowser = new Browser(server);
    await submitLogin(bobBrowser, await bobBrowser.open('/account'), users.bob);
    const { browser } = await signInToConsole(flow, users.alice);
    const found = await browser.open('/admin/users?q=bob%40example.com');
    expect(found.body).toContain(`href="/admin/users/${users.bob.record.id}"`);
    expect((await browser.open('/admin/users?q=nobody')).body).toContain('No user has that username');
    const bob = await browser.open(`/admin/users/${users.bob.record.id}`);
    expect(bob.body).toContain('<h1>bob</h1>');

    const unlocked = await browser.submit(bob, {}, { actionPart: '/unlock' });
    expect(unlocked.body).toContain('Sign-in unlocked');
    const confirm = await browser.submit(unlocked, {}, { actionPart: '/sessions/revoke' });
    expect(confirm.body).toContain('Sign bob out everywhere?');
    expect(isLoginPage(await bobBrowser.open('/account'))).toBe(false);
    const revoked = await browser.submit(confirm, {}, { actionPart: '/sessions/revoke' });
    expect(revoked.body).toContain('Signed out everywhere');
    expect(isLoginPage(await bobBrowser.open('/account'))).toBe(true);
    const disabled = await browser.submit(revoked, {}, { actionPart: '/disabled' });
    expect(disabled.body).toContain('Account disabled');
    expect((await server.store.users.get(users.bob.record.id))?.disabled).toBe(true);

    for (const type of ['admin.user_unlocked', 'admin.user_sessions_revoked', 'admin.user_updated']) {
      const events = (await server.store.audit.list({ limit: 10_000 })).filter((event) => event.type === type);
      expect(events, type).toHaveLength(1);
      expect(events[0]).toMatchObject({
        subject: users.alice.record.id,
        details: expect.objectContaining({ target_sub: users.bob.record.id, via: 'console' }),
      });
    }
  });

  it('an admin cannot disable their own account from the console', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const self = await browser.open(`/admin/users/${flow.users.alice.record.id}`);
    const refused = await browser.submit(self, {}, { actionPart: '/disabled' });
    expect(refused.status).toBe(400);
    expect((await flow.server.store.users.get(flow.users.alice.record.id))?.disabled).toBe(false);
  });

  it('resets a user’s second factors after a confirmation, audited as the API records it', async () => {
    const flow = await consoleFlow();
    const { server, users, clock } = flow;
    await giveTotp(factorContext(server.store, clock), users.bob.record.id);
    const { browser } = await signInToConsole(flow, users.alice);
    const bob = await browser.open(`/admin/users/${users.bob.record.id}`);
    expect(bob.body).toContain('<dt>Second factors</dt><dd>1</dd>');
    const confirm = await browser.submit(bob, {}, { actionPart: '/factors/reset' });
    expect(confirm.body).toContain('<h1>Reset the second factors of bob?</h1>');
    expect(await server.store.factors.listByUser(users.bob.record.id)).not.toEqual([]);
    const reset = await browser.submit(confirm, {}, { actionPart: '/factors/reset' });
    expect(reset.body).toContain('Second factors removed');
    expect(reset.body).toContain('<dt>Second factors</dt><dd>0</dd>');
    expect(await server.store.factors.listByUser(users.bob.record.id)).toEqual([]);
    const events = (await server.store.audit.list({ type: 'admin.user_factors_reset' })).map(({ subject, details }) => ({ subject, details }));
    expect(events).toEqual([{ subject: users.alice.record.id, details: { target_sub: users.bob.record.id, removed: expect.any(Number), via: 'console' } }]);
  });

  it('grants the admin role after a confirmation; revoking one’s own warns that the console is lost, and the next page is the 403', async () => {
    const flow = await consoleFlow();
    const { server, users } = flow;
    const { browser } = await signInToConsole(flow, users.alice);
    const bob = await browser.open(`/admin/users/${users.bob.record.id}`);
    const grant = await browser.submit(bob, {}, { actionPart: '/roles/admin' });
    expect(grant.body).toContain('<h1>Make bob an admin?</h1>');
    expect((await server.store.users.get(users.bob.record.id))?.roles).toEqual([]);
    const granted = await browser.submit(grant, {}, { actionPart: '/roles/admin' });
    expect(granted.body).toContain('This user now holds the admin role.');
    expect((await server.store.users.get(users.bob.record.id))?.roles).toEqual(['admin']);
    expect(await auditDetails(flow, 'admin.role_granted')).toEqual([{ target_sub: users.bob.record.id, role: 'admin', changed: true, via: 'console' }]);

    const self = await browser.open(`/admin/users/${users.alice.record.id}`);
    expect(self.body).not.toContain('Delete user');
    const revoke = await browser.submit(self, {}, { actionPart: '/roles/admin' });
    expect(revoke.body).toContain('<h1>Remove your own admin role?</h1>');
    expect(revoke.body).toContain('You lose access to this admin console at once');
    const after = await browser.submit(revoke, {}, { actionPart: '/roles/admin' });
    expect(after.status).toBe(403);
    expect(after.body).toContain('only for administrators');
    expect((await server.store.users.get(users.alice.record.id))?.roles).toEqual([]);
    const revoked = (await server.store.audit.list({ type: 'admin.role_revoked' }))[0];
    expect(revoked).toMatchObject({
      subject: users.alice.record.id,
      details: { target_sub: users.alice.record.id, role: 'admin', changed: true, via: 'console' },
    });
  });

  it('changing a role needs a recent sign-in', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const bob = await browser.open(`/admin/users/${flow.users.bob.record.id}`);
    flow.clock.advance((RECENT_AUTH_SECONDS + 60) * 1000);
    const reauth = await browser.submit(bob, { confirm: 'yes' }, { actionPart: '/roles/admin' });
    expect(reauth.status).toBe(403);
    expect(reauth.body).toContain('To change who is an admin, please sign in again first.');
    expect((await flow.server.store.users.get(flow.users.bob.record.id))?.roles).toEqual([]);
  });

  it('shows whether sign-in is throttled for the user, without spending an attempt, until unlocked', async () => {
    const flow = await consoleFlow({ protection: { rateLimits: { signInPerAccount: { points: 2, seconds: 900 } } } });
    const { server, users } = flow;
    const { browser } = await signInToConsole(flow, users.alice);
    const state = async () => /id="sign-in-state">(.*?)<\/dd>/.exec((await browser.open(`/admin/users/${users.bob.record.id}`)).body)?.[1];
    expect(await state()).toBe('Not throttled: no failed sign-in counted.');
    const attacker = new Browser(server);
    await submitLogin(attacker, await attacker.open('/account'), users.bob, 'wrong password');
    expect(await state()).toBe('Not throttled: 1 of 2 failed sign-ins allowed in the window.');
    expect(await state()).toBe('Not throttled: 1 of 2 failed sign-ins allowed in the window.'); // reading spends nothing
    await submitLogin(attacker, await attacker.open('/account'), users.bob, 'wrong password');
    expect(await state()).toMatch(
      /^<span class="warning">Throttled:<\/span> 2 failed sign-ins; from browsers new to this account, sign-ins are refused for 1[45] minutes more\.$/,
    );
    await browser.submit(await browser.open(`/admin/users/${users.bob.record.id}`), {}, { actionPart: '/unlock' });
    expect(await state()).toBe('Not throttled: no failed sign-in counted.');
  });

  it('rotates the signing keys after a confirmation', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const keys = await browser.open('/admin/keys');
    const before = await flow.server.store.keys.list();
    expect(keys.body).toContain(before[0]!.kid);
    const confirm = await browser.submit(keys, {}, { actionPart: '/admin/keys/rotate' });
    expect(confirm.body).toContain('Rotate the signing keys?');
    const rotated = await browser.submit(confirm, {}, { actionPart: '/admin/keys/rotate' });
    expect(rotated.body).toContain('New signing keys are in use.');
    expect((await flow.server.store.keys.list()).length).toBeGreaterThan(before.length);
    expect(await auditDetails(flow, 'admin.keys_rotated')).toHaveLength(1);
  });
});

describe('dashboard and audit log', () => {
  it('the charts count sign-ins and failures, and move after more traffic', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const total = (page: Page, series: string) => Number(new RegExp(`data-series="${series}" data-total="(\\d+)"`).exec(page.body)?.[1]);
    const first = await browser.open('/admin?range=hour');
    const other = new Browser(flow.server);
    await submitLogin(other, await other.open('/account'), flow.users.bob, 'wrong password');
    await submitLogin(other, await other.open('/account'), flow.users.bob);
    await settle();
    // The charts end at "now", exclusive: the fake clock stands still, so move it past the traffic.
    flow.clock.advance(1000);
    const second = await browser.open('/admin?range=hour');
    expect(total(second, 'failures')).toBe(total(first, 'failures') + 1);
    expect(total(second, 'signIns')).toBe(total(first, 'signIns') + 1);
    expect(second.body).toContain('<title id="signIns-title">Sign-ins</title>');
  });

  it('names the users and clients of the audit log, breaks event types only after . or _, and pages older and newer', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const alice = await browser.open(`/admin/users/${flow.users.alice.record.id}`);
    const own = await browser.open(linkHref(alice, 'Audit events'));
    expect(new URL(own.url).searchParams.get('user')).toBe(flow.users.alice.record.id);
    expect(own.body).toContain(`user <a href="/admin/users/${flow.users.alice.record.id}">alice</a>`);
    expect(own.body).toContain('<code class="event-type">mfa.<wbr>succeeded</code>');
    expect(own.body).toContain('<span class="cell-meta">client Admin console</span>');
    const batch = await flow.server.register();
    await flow.server.issueToken(batch);
    await settle();
    const client = await browser.open(`/admin/clients/${batch.clientId}`);
    const ofClient = await browser.open(linkHref(client, 'Audit events'));
    expect(new URL(ofClient.url).searchParams.get('client')).toBe(batch.clientId);
    const name = (await flow.server.store.clients.get(batch.clientId))!.clientName;
    expect(ofClient.body).toContain(`client <a href="/admin/clients/${batch.clientId}">${name}</a>`);
    expect(ofClient.body).toContain('token.<wbr>issued');

    // 55 events of one type: a full page of 50, then 5 older; Newer leads back to the first page.
    for (let i = 0; i < 55; i += 1) await browser.open('/admin/audit/verify');
    await settle();
    const seqs = (page: Page) => [...page.body.matchAll(/<span class="cell-meta">#(\d+)<\/span>/g)].map((match) => Number(match[1]));
    const first = await browser.open('/admin/audit?type=admin.audit_verified');
    expect(first.body).toContain('<code class="event-type">admin.<wbr>audit_<wbr>verified</code>');
    expect(seqs(first)).toHaveLength(50);
    expect(first.body).not.toContain('Newer events');
    const older = await browser.open(linkHref(first, 'Older events'));
    expect(seqs(older)).toHaveLength(5);
    expect(Math.max(...seqs(older))).toBeLessThan(Math.min(...seqs(first)));
    expect(older.body).not.toContain('Older events');
    const newer = await browser.open(linkHref(older, 'Newer events'));
    expect(seqs(newer)).toEqual(seqs(first));
    expect(new URL(newer.url).searchParams.get('type')).toBe('admin.audit_verified');
  });

  it('filters the audit log and verifies the chain', async () => {
    const flow = await consoleFlow();
    const { browser } = await signInToConsole(flow, flow.users.alice);
    const page = await browser.open(`/admin/audit?type=login.succeeded&user=alice`);
    expect(page.body).toContain('login.succeeded');
    expect(page.body).not.toContain('<code>mfa.challenge</code>');
    const verified = await browser.open('/admin/audit/verify');
    expect(verified.body).toContain('The chain is intact');
    expect(await auditDetails(flow, 'admin.audit_verified')).toEqual([expect.objectContaining({ ok: true, via: 'console' })]);
  });
});
