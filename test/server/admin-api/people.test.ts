/**
 * People on the admin API (issue 18): the admin role and the admin scopes of the authorization code
 * flow, through the fetch handler and the real sign-in pages (password, authenticator app,
 * consent), then the token endpoint and the API. Asking for `admin` forces a second factor on
 * everyone; only a user holding the role gets the scope, and only while they hold it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { grantAdminRole, revokeAdminRole, updateUser } from '../../../src/server/admin/users.js';
import { signInForAdmin as signInAs, withTotp as giveApp } from '../../helpers/admin-tokens.js';
import { expectTokens, refresh, registerFlowClient, seedUsers, type FlowClient, type TestUser, type Tokens, type UserName } from '../../helpers/flow.js';
import { TOTP_STEP_MS } from '../../helpers/mfa.js';
import { startServer, type TestServer } from '../../helpers/server.js';

const API = '/admin/api/v1';

let t: TestServer;
let users: Record<UserName, TestUser>;
let app: FlowClient;

beforeEach(async () => {
  t = await startServer({ admin: { api: true } });
  users = await seedUsers(t.store);
  // A client people sign in to for admin tokens (a CLI or a console): it may ask for the admin scopes.
  app = await registerFlowClient(t, { name: 'Admin tool', scope: 'openid admin admin:read offline_access' });
});

function call(method: string, path: string, token: string): Promise<Response> {
  return t.server.fetch(new Request(`${t.issuer}${API}${path}`, { method, headers: { Authorization: `Bearer ${token}` } }));
}

/** `signInForAdmin` on this file's server and app. */
const signInForAdmin = (user: TestUser, secret: string | undefined, scope?: string): Promise<Tokens> => signInAs(t, app, user, secret, scope);
const withTotp = (user: TestUser): Promise<string> => giveApp(t, user);

describe('an admin signing in with a second factor', () => {
  it('gets an admin token through authorize, password, TOTP and consent, and uses the API', async () => {
    await grantAdminRole(t.store, t.clock, 'alice');
    const tokens = await signInForAdmin(users.alice, await withTotp(users.alice));
    expect(tokens.scope?.split(' ').sort()).toEqual(['admin', 'openid']);
    const response = await call('GET', '/clients', tokens.access_token);
    expect(response.status).toBe(200);
    expect(await call('POST', `/users/bob/unlock`, tokens.access_token).then((r) => r.status)).toBe(200);
    // Audited with the person and the client they signed in to.
    const [event] = await t.store.audit.list({ type: 'admin.user_unlocked' });
    expect(event).toMatchObject({ clientId: app.clientId, subject: users.alice.record.id, details: { target_sub: users.bob.record.id } });
  });

  it('is walked through setting up a second factor when they have none', async () => {
    await grantAdminRole(t.store, t.clock, 'alice');
    const tokens = await signInForAdmin(users.alice, undefined);
    expect(tokens.scope?.split(' ')).toContain('admin');
    expect((await call('GET', '/users', tokens.access_token)).status).toBe(200);
  });

  it('is refused at once (403) once the role is revoked, and after a refresh too', async () => {
    await grantAdminRole(t.store, t.clock, 'alice');
    const tokens = await signInForAdmin(users.alice, await withTotp(users.alice), 'openid admin offline_access');
    expect((await call('GET', '/users', tokens.access_token)).status).toBe(200);
    await revokeAdminRole(t.store, t.clock, 'alice');
    const refused = await call('GET', '/users', tokens.access_token);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'insufficient_scope' });
    expect(refused.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    const [refusal] = await t.store.audit.list({ type: 'admin.request_refused' });
    expect(refusal).toMatchObject({ clientId: app.clientId, subject: users.alice.record.id, details: { status: 403, reason: 'insufficient_scope' } });
    // The per-call check is what holds: a refreshed token (its scope kept) is refused the same way.
    const refreshed = await expectTokens(await refresh(t, app, tokens.refresh_token!));
    expect((await call('GET', '/users', refreshed.access_token)).status).toBe(403);
  });

  it('is refused (403) once disabled, even holding the role', async () => {
    await grantAdminRole(t.store, t.clock, 'alice');
    const tokens = await signInForAdmin(users.alice, await withTotp(users.alice));
    await t.store.users.update({ ...(await t.store.users.get(users.alice.record.id))!, disabled: true });
    expect((await call('GET', '/users', tokens.access_token)).status).toBe(403);
  });

  it('a disabled admin cannot get a token at all: the account is refused at sign-in and its tokens end', async () => {
    await grantAdminRole(t.store, t.clock, 'alice');
    const tokens = await signInForAdmin(users.alice, await withTotp(users.alice));
    await updateUser(t.store, t.clock, 'alice', { disabled: true });
    // Disabling through the admin function also ends the tokens: 401 before the role is even read.
    expect((await call('GET', '/users', tokens.access_token)).status).toBe(401);
  });
});

describe('a user without the admin role', () => {
  it('is asked for a second factor as an admin would be, and gets a token without admin: the API answers 403', async () => {
    const tokens = await signInForAdmin(users.bob, await withTotp(users.bob), 'openid admin admin:read');
    // RFC 6749 §3.3: the narrower scope is stated; nothing tells bob why.
    expect(tokens.scope).toBe('openid');
    const response = await call('GET', '/clients', tokens.access_token);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it('keeps the grant without admin in the consent, and gets admin after the role is granted and they consent again', async () => {
    const secret = await withTotp(users.bob);
    expect((await signInForAdmin(users.bob, secret)).scope).toBe('openid');
    const [consent] = await t.store.consents.listBySubject(users.bob.record.id);
    expect(consent?.scope).toBe('openid');
    await grantAdminRole(t.store, t.clock, 'bob');
    t.clock.advance(TOTP_STEP_MS);
    expect((await signInForAdmin(users.bob, secret)).scope?.split(' ').sort()).toEqual(['admin', 'openid']);
  });
});
