/**
 * The admin API's audit, settings and remaining user operations (issue 18), through the fetch
 * handler on the memory store: the audit search and the chain's verification, the effective
 * settings with every secret redacted, resetting a user's factors, ending one session, and
 * inviting an address; each one's refusals (no token, a bad token, the wrong scope, a read-only
 * token writing, bad input, an unknown id).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { github } from '../../../src/client/index.js';
import { createDevOutboxSender } from '../../../src/server/mfa/senders/dev-outbox.js';
import { settle, waitForEmail } from '../../helpers/accounts.js';
import { Browser, registerFlowClient, seedUsers, signIn } from '../../helpers/flow.js';
import { SECRET, startServer, type TestServer, type TestServerOptions } from '../../helpers/server.js';

const API = '/admin/api/v1';

let t: TestServer;
let adminToken: string;
let readToken: string;
let adminClientId: string;
let dir: string;
let outbox: string;

async function start(options: TestServerOptions = {}): Promise<void> {
  t = await startServer({ mfa: { senders: { email: createDevOutboxSender({ file: outbox, log: () => undefined }) } }, ...options });
  const admin = await t.register({ name: 'automation', scope: 'admin' });
  const reader = await t.register({ name: 'dashboard', scope: 'admin:read' });
  adminClientId = admin.clientId;
  adminToken = await t.issueToken(admin, { scope: 'admin' });
  readToken = await t.issueToken(reader, { scope: 'admin:read' });
}

function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<Response> {
  return t.server.fetch(
    new Request(`${t.issuer}${API}${path}`, {
      method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }),
  );
}

async function bodyOf(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

type EventJson = { seq: number; type: string; subject: string | null; client_id: string | null; ip: string | null; outcome: string };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-admin-api-'));
  outbox = join(dir, 'outbox.jsonl');
});
afterEach(async () => {
  await t.server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('refusals of the new operations', () => {
  beforeEach(() => start());

  const operations: [method: string, path: string, write: boolean, body?: unknown][] = [
    ['GET', '/audit/events', false],
    ['POST', '/audit/verify', false],
    ['GET', '/settings', false],
    ['POST', '/users/alice/factors/reset', true],
    ['DELETE', '/users/alice/sessions/some-sid', true],
    ['POST', '/invitations', true, { email: 'new@example.com' }],
  ];

  it('answers 401 without a token or with a bad one, 403 to a token without an admin scope', async () => {
    const plain = await t.register({ name: 'api', scope: 'read' });
    const plainToken = await t.issueToken(plain);
    for (const [method, path, , body] of operations) {
      const bare = await call(method, path, undefined, body);
      expect(bare.status, `${method} ${path}`).toBe(401);
      expect(bare.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse-admin"');
      const bad = await call(method, path, 'not-a-token', body);
      expect(bad.status).toBe(401);
      expect((await bodyOf(bad)).error).toBe('invalid_token');
      const scoped = await call(method, path, plainToken, body);
      expect(scoped.status).toBe(403);
      expect((await bodyOf(scoped)).error).toBe('insufficient_scope');
    }
  });

  it('answers 403 to a read-only token at every write, and lets it read (verifying the chain changes nothing)', async () => {
    await seedUsers(t.store);
    for (const [method, path, write, body] of operations) {
      const response = await call(method, path, readToken, body);
      expect(response.status, `${method} ${path}`).toBe(write ? 403 : 200);
      if (write) expect(response.headers.get('www-authenticate')).toContain('scope="admin"');
    }
  });

  it('answers 404 for an unknown user, session, with the fields of a bad invitation', async () => {
    await seedUsers(t.store);
    for (const [method, path, description] of [
      ['POST', '/users/nobody/factors/reset', 'no user with this sub, username or email'],
      ['DELETE', '/users/nobody/sessions/x', 'no user with this sub, username or email'],
      ['DELETE', '/users/alice/sessions/no-such-sid', 'no sign-in session of this user with this sid'],
    ] as const) {
      const response = await call(method, path, adminToken);
      expect(response.status, path).toBe(404);
      expect(await bodyOf(response)).toEqual({ error: 'invalid_request', error_description: description });
    }
    const bad = await call('POST', '/invitations', adminToken, { email: 'not-an-address-secret', extra: 1 });
    expect(bad.status).toBe(400);
    expect((await bodyOf(bad)).fields).toEqual([{ field: 'extra', message: 'is not a member of this body' }]);
    const invalid = await call('POST', '/invitations', adminToken, { email: 'not-an-address-secret' });
    expect(invalid.status).toBe(400);
    const invalidText = await invalid.text();
    expect(invalidText).not.toContain('secret');
    expect((JSON.parse(invalidText) as Record<string, unknown>).fields).toEqual([{ field: 'email', message: 'the value is not an email address' }]);
    const taken = await call('POST', '/invitations', adminToken, { email: 'alice@example.com' });
    expect(taken.status).toBe(400);
    const takenBody = JSON.stringify(await bodyOf(taken));
    expect(takenBody).toContain('already has an account');
    expect(takenBody).not.toContain('alice');
  });
});

describe('the audit log', () => {
  beforeEach(() => start());

  it('searches by type, user (sub, username or email), client, address, outcome and time, newest first, with a next link', async () => {
    const users = await seedUsers(t.store);
    const app = await registerFlowClient(t, { scope: 'openid profile' });
    await signIn(new Browser(t), t, app, users.alice, { scope: 'openid profile' });
    await signIn(new Browser(t), t, app, users.bob, { scope: 'openid profile' });
    await settle();

    const search = async (query: string) => {
      const response = await call('GET', `/audit/events${query}`, readToken);
      expect(response.status, query).toBe(200);
      return (await response.json()) as { events: EventJson[]; next: string | null };
    };
    const all = await search('');
    expect(all.next).toBeNull();
    expect(all.events.map((event) => event.seq)).toEqual([...all.events.map((event) => event.seq)].sort((a, b) => b - a));
    const signIns = await search('?type=login.succeeded');
    expect(signIns.events.map((event) => event.subject)).toEqual([users.bob.record.id, users.alice.record.id]);
    for (const user of [users.alice.record.id, 'alice', users.alice.record.email!]) {
      const found = await search(`?type=login.succeeded&user=${encodeURIComponent(user)}`);
      expect(found.events.map((event) => event.subject)).toEqual([users.alice.record.id]);
    }
    // An unknown user: the same empty answer as a user without events.
    expect((await search('?user=nobody')).events).toEqual([]);
    expect((await search(`?client=${app.clientId}&type=token.issued`)).events.every((event) => event.client_id === app.clientId)).toBe(true);
    // Requests through fetch carry no client address here: an address matches nothing (the stores' contract suite checks matches).
    expect((await search('?address=198.51.100.99')).events).toEqual([]);
    expect((await search('?address=2001%3Adb8%3A%3A1')).events).toEqual([]);
    expect((await search('?outcome=failure')).events.every((event) => event.outcome === 'failure')).toBe(true);
    const now = new Date(t.clock.now());
    expect((await search(`?to=${encodeURIComponent(new Date(now.getTime() - 3_600_000).toISOString())}`)).events).toEqual([]);
    const sinceAnHourAgo = await search(`?from=${encodeURIComponent(new Date(now.getTime() - 3_600_000).toISOString())}`);
    expect(sinceAnHourAgo.events.map((event) => event.seq)).toEqual(expect.arrayContaining(all.events.map((event) => event.seq)));

    // Pages by the next link, which keeps the filters.
    const first = await search('?type=login.succeeded&type=token.issued&limit=1');
    expect(first.events).toHaveLength(1);
    expect(first.next).toMatch(/^\/admin\/api\/v1\/audit\/events\?type=login\.succeeded&type=token\.issued&limit=1&before=\d+$/);
    const second = (await bodyOf(await t.server.fetch(new Request(`${t.issuer}${first.next!}`, { headers: { Authorization: `Bearer ${readToken}` } })))) as {
      events: EventJson[];
    };
    expect(second.events[0]!.seq).toBeLessThan(first.events[0]!.seq);

    const [searched] = await t.store.audit.query({ types: ['admin.audit_searched'], limit: 1 });
    expect(searched).toMatchObject({ details: { filters: ['type'] } });
  });

  it('refuses bad parameters naming each, never repeating them', async () => {
    const response = await call(
      'GET',
      '/audit/events?from=yesterday-secret&address=999.1.1.1&outcome=maybe-secret&limit=501&type=bad%20type&before=x',
      readToken,
    );
    expect(response.status).toBe(400);
    const body = await bodyOf(response);
    expect(body.error).toBe('invalid_request');
    expect((body.fields as { field: string }[]).map((field) => field.field)).toEqual(['from', 'type', 'address', 'outcome', 'before', 'limit']);
    expect(JSON.stringify(body)).not.toMatch(/secret|999|bad type/);
    const [refused] = await t.store.audit.query({ types: ['admin.request_refused'], limit: 1 });
    expect(refused).toMatchObject({ details: { operation: 'searchAuditEvents', status: 400, reason: 'invalid_parameters' } });
  });

  it('verifies the chain as gatehouse audit verify --json shows it', async () => {
    await settle();
    const response = await call('POST', '/audit/verify', readToken);
    expect(response.status).toBe(200);
    const body = await bodyOf(response);
    expect(body).toMatchObject({ ok: true, count: expect.any(Number) as number, last_seq: expect.any(Number) as number });
    expect(body.last_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [event] = await t.store.audit.query({ types: ['admin.audit_verified'], limit: 1 });
    expect(event).toMatchObject({ clientId: expect.any(String) as string, details: { ok: true } });
  });
});

describe('the effective settings', () => {
  it('shows the settings, every secret redacted: none of the secret values set appears in the body', async () => {
    const secrets = {
      secret: SECRET,
      metricsToken: 'metrics-token-value-0123456789',
      upstreamSecret: 'upstream-client-secret-value-0123',
      urlPassword: 'url-password-in-a-setting',
    };
    await start({
      protection: { metricsToken: secrets.metricsToken },
      branding: { logoUrl: `https://user:${secrets.urlPassword}@cdn.example.com/logo.svg` },
      upstreams: [{ id: 'github', label: 'GitHub', provider: github(), clientId: 'gh-client', clientSecret: secrets.upstreamSecret }],
    });
    const response = await call('GET', '/settings', readToken);
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const value of Object.values(secrets)) expect(text).not.toContain(value);
    const body = JSON.parse(text) as Record<string, Record<string, unknown>>;
    expect(body).toMatchObject({ issuer: t.issuer, secret: '[redacted]', upstreams: ['github'], admin: { api: true, path: '/admin' } });
    expect(body.protection!.metricsToken).toBe('[redacted]');
    expect(body.tokens!.accessTokenTtl).toBe(3600);
    expect(body.branding!.logoUrl).toBe('https://user:%5Bredacted%5D@cdn.example.com/logo.svg');
    const [event] = await t.store.audit.query({ types: ['admin.settings_shown'], limit: 1 });
    expect(event?.clientId).toBeTruthy();
  });
});

describe("a user's factors, one session, invitations", () => {
  beforeEach(() => start());

  it("resets a user's second factors as gatehouse users mfa reset does", async () => {
    const users = await seedUsers(t.store);
    const now = t.clock.now();
    for (const id of ['f1', 'f2']) {
      await t.store.factors.create({
        id,
        userId: users.alice.record.id,
        type: 'totp',
        label: id,
        lookup: null,
        data: { confirmed: true },
        createdAt: now,
        updatedAt: now,
        lastUsedAt: null,
      });
    }
    const response = await call('POST', '/users/alice@example.com/factors/reset', adminToken);
    expect(response.status).toBe(200);
    expect(await bodyOf(response)).toEqual({ sub: users.alice.record.id, factors_removed: 2 });
    expect(await t.store.factors.listByUser(users.alice.record.id)).toEqual([]);
    const [event] = await t.store.audit.query({ types: ['admin.user_factors_reset'], limit: 1 });
    expect(event).toMatchObject({ clientId: adminClientId, details: { target_sub: users.alice.record.id, removed: 2 } });
  });

  it('ends one session by its sid, leaving the others', async () => {
    const users = await seedUsers(t.store);
    const app = await registerFlowClient(t, { scope: 'openid profile' });
    await signIn(new Browser(t), t, app, users.alice, { scope: 'openid profile' });
    await signIn(new Browser(t), t, app, users.alice, { scope: 'openid profile' });
    const listed = (await bodyOf(await call('GET', '/users/alice/sessions', readToken))).items as { sid: string }[];
    expect(listed).toHaveLength(2);
    const response = await call('DELETE', `/users/alice/sessions/${listed[0]!.sid}`, adminToken);
    expect(response.status).toBe(204);
    const left = (await bodyOf(await call('GET', '/users/alice/sessions', readToken))).items as { sid: string }[];
    expect(left.map((session) => session.sid)).toEqual([listed[1]!.sid]);
    expect((await call('DELETE', `/users/alice/sessions/${listed[0]!.sid}`, adminToken)).status).toBe(404);
    // Another user's session is not found through this one.
    expect((await call('DELETE', `/users/bob/sessions/${listed[1]!.sid}`, adminToken)).status).toBe(404);
    const [event] = await t.store.audit.query({ types: ['admin.user_session_revoked'], limit: 1 });
    expect(event).toMatchObject({ clientId: adminClientId, details: { target_sub: users.alice.record.id, sid: listed[0]!.sid } });
  });

  it('invites an address: the link goes by email, never in the answer', async () => {
    const response = await call('POST', '/invitations', adminToken, { email: 'Grace@Example.com', name: 'Grace Hopper' });
    expect(response.status).toBe(201);
    const body = await bodyOf(response);
    expect(body).toMatchObject({ email: 'grace@example.com', name: 'Grace Hopper', emailed: true, id: expect.any(String) as string });
    const mail = await waitForEmail(outbox, 'grace@example.com', 'invitation');
    expect(mail.link).toMatch(/\/invitation\?token=/);
    expect(JSON.stringify(body)).not.toContain(new URL(mail.link!).searchParams.get('token')!);
    const [event] = await t.store.audit.query({ types: ['admin.user_invited'], limit: 1 });
    expect(event).toMatchObject({ clientId: adminClientId, details: { invitation: body.id } });
  });

  it('refuses to invite without an email sender (400 on email), as gatehouse users invite does without --print-link', async () => {
    await t.server.close();
    t = await startServer();
    const admin = await t.register({ name: 'automation', scope: 'admin' });
    const response = await call('POST', '/invitations', await t.issueToken(admin, { scope: 'admin' }), { email: 'grace@example.com' });
    expect(response.status).toBe(400);
    expect(((await bodyOf(response)).fields as { field: string }[])[0]!.field).toBe('email');
  });
});
