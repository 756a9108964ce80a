/**
 * The admin API (issue 18), through the fetch handler: every operation's success, every refusal
 * (no token, a bad token, the wrong scope, a read-only token writing, bad input, an unknown id),
 * the audit events with the acting client, the off switch and where it is served (`admin.path`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser } from '../../../src/server/admin/users.js';
import { createAuthorizationServer } from '../../../src/server/index.js';
import { ROUTES } from '../../../src/server/routes.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { Browser, registerFlowClient, seedUsers, signIn } from '../../helpers/flow.js';
import { startServer, type TestClient, type TestServer } from '../../helpers/server.js';

const API = '/admin/api/v1';

let t: TestServer;
let admin: TestClient;
let reader: TestClient;
let adminToken: string;
let readToken: string;

/** A JSON request to the admin API with a bearer token. */
function call(method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return t.server.fetch(
    new Request(`${t.issuer}${API}${path}`, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    }),
  );
}

/** What a server needs at the least, for the refusals at start. */
const MINIMAL = { issuer: 'http://localhost:3000', secret: 's'.repeat(32), store: createMemoryStore(), logger: false as const };

async function bodyOf(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

beforeEach(async () => {
  t = await startServer();
  admin = await t.register({ name: 'automation', scope: 'admin' });
  reader = await t.register({ name: 'dashboard', scope: 'admin:read' });
  adminToken = await t.issueToken(admin, { scope: 'admin' });
  readToken = await t.issueToken(reader, { scope: 'admin:read' });
});
afterEach(async () => {
  await t.server.close();
});

describe('the off switch', () => {
  it('answers 404 at every admin API path and method when admin.api is false', async () => {
    const off = await startServer({ admin: { api: false } });
    try {
      const client = await off.register({ scope: 'admin' });
      const token = await off.issueToken(client, { scope: 'admin' });
      const adminRoutes = Object.values(ROUTES).filter((path) => path.startsWith(`${API}/`));
      expect(adminRoutes.length).toBeGreaterThan(10);
      for (const path of adminRoutes.map((pattern) => pattern.replace(/:[A-Za-z]+/g, 'x'))) {
        for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) {
          const response = await off.server.fetch(new Request(`${off.issuer}${path}`, { method, headers: { Authorization: `Bearer ${token}` } }));
          expect(response.status, `${method} ${path}`).toBe(404);
          expect((await bodyOf(response)).error_description, `${method} ${path}`).toBe('no endpoint at this path');
        }
      }
    } finally {
      await off.server.close();
    }
  });

  it('is on by default, and answers only tokens with an admin scope', async () => {
    const byDefault = await startServer();
    try {
      const client = await byDefault.register({ scope: 'read admin' });
      const plain = await byDefault.issueToken(client, { scope: 'read' });
      const refused = await byDefault.get(`${API}/clients`, { headers: { Authorization: `Bearer ${plain}` } });
      expect(refused.status).toBe(403);
      expect((await bodyOf(refused)).error).toBe('insufficient_scope');
      expect((await byDefault.get(`${API}/clients`)).status).toBe(401);
      const token = await byDefault.issueToken(client, { scope: 'admin' });
      expect((await byDefault.get(`${API}/clients`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await byDefault.server.close();
    }
  });
});

describe('where it is served (admin.path)', () => {
  it('answers under the configured path, below the issuer, and nowhere else', async () => {
    const ops = await startServer({ issuer: 'http://localhost:3000/auth', admin: { path: '/ops/console' } });
    try {
      const client = await ops.register({ scope: 'admin' });
      const token = await ops.issueToken(client, { scope: 'admin' });
      const get = (path: string) => ops.server.fetch(new Request(`http://localhost:3000${path}`, { headers: { Authorization: `Bearer ${token}` } }));
      expect((await get('/auth/ops/console/api/v1/clients')).status).toBe(200);
      const created = await ops.server.fetch(
        new Request('http://localhost:3000/auth/ops/console/api/v1/users', {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ username: 'erin' }),
        }),
      );
      expect(created.status).toBe(201);
      for (const path of ['/auth/admin/api/v1/clients', '/admin/api/v1/clients', '/auth/admin/api/v1/openapi.json', '/ops/console/api/v1/clients']) {
        expect((await get(path)).status, path).toBe(404);
      }
      // What the server hands out points there too: the audit search's next link, the OpenAPI paths.
      const events = (await bodyOf(await get('/auth/ops/console/api/v1/audit/events?limit=1'))) as { next: string };
      expect(events.next).toMatch(/^\/auth\/ops\/console\/api\/v1\/audit\/events\?limit=1&before=\d+$/);
      expect((await get(events.next)).status).toBe(200);
      const doc = (await bodyOf(await get('/auth/ops/console/api/v1/openapi.json'))) as { servers: { url: string }[]; paths: Record<string, unknown> };
      expect(doc.servers).toEqual([{ url: 'http://localhost:3000/auth' }]);
      expect(Object.keys(doc.paths).every((path) => path.startsWith('/ops/console/api/v1/'))).toBe(true);
      expect(doc.paths).toHaveProperty(['/ops/console/api/v1/clients/{id}']);
    } finally {
      await ops.server.close();
    }
  });

  it('is refused at start when it is not a clean path or another route has it', () => {
    expect(() => createAuthorizationServer({ ...MINIMAL, admin: { path: '/ops/' } })).toThrow(/^option "admin\.path" must be a path such as \/admin/);
    expect(() => createAuthorizationServer({ ...MINIMAL, admin: { path: '/account' } })).toThrow(
      'option "admin.path" must not share its first segment with a path the server already serves (/account)',
    );
  });
});

describe('authentication (RFC 6750)', () => {
  it('answers 401 with a bare Bearer challenge without a token', async () => {
    const response = await call('GET', '/clients', undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse-admin"');
  });

  it('answers 401 invalid_token for a token that is not one of this server, expired or revoked', async () => {
    for (const token of ['not-a-jwt', `${adminToken.slice(0, -4)}AAAA`]) {
      const response = await call('GET', '/clients', token);
      expect(response.status).toBe(401);
      expect((await bodyOf(response)).error).toBe('invalid_token');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse-admin", error="invalid_token"/);
    }
    t.clock.advance(3601_000);
    const expired = await call('GET', '/clients', adminToken);
    expect(expired.status).toBe(401);
    expect((await bodyOf(expired)).error).toBe('invalid_token');
  });

  it('answers 401 invalid_token once the calling client is removed', async () => {
    const other = await t.register({ name: 'short-lived', scope: 'admin' });
    const token = await t.issueToken(other, { scope: 'admin' });
    expect((await call('DELETE', `/clients/${other.clientId}`, adminToken)).status).toBe(204);
    expect((await call('GET', '/clients', token)).status).toBe(401);
  });

  it('answers 400 invalid_request for an Authorization header that is not Bearer', async () => {
    const response = await call('GET', '/clients', undefined, undefined, { Authorization: 'Basic Zm9vOmJhcg==' });
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).error).toBe('invalid_request');
  });

  it('answers 403 insufficient_scope to a token without admin or admin:read', async () => {
    const plain = await t.register({ name: 'api', scope: 'read write' });
    const token = await t.issueToken(plain);
    const response = await call('GET', '/users', token);
    expect(response.status).toBe(403);
    expect(await bodyOf(response)).toMatchObject({ error: 'insufficient_scope' });
    expect(response.headers.get('www-authenticate')).toContain('scope="admin:read"');
  });

  it('answers 403 insufficient_scope to a read-only token at every write', async () => {
    const writes: [string, string, unknown?][] = [
      ['POST', '/clients', { client_name: 'x' }],
      ['PATCH', `/clients/${admin.clientId}`, { resources: [] }],
      ['DELETE', `/clients/${admin.clientId}`],
      ['POST', `/clients/${admin.clientId}/secret`],
      ['POST', '/users', { username: 'zed' }],
      ['PATCH', '/users/nobody', { disabled: true }],
      ['DELETE', '/users/nobody'],
      ['POST', '/users/nobody/unlock'],
      ['POST', '/users/nobody/sessions/revoke'],
      ['POST', '/keys/rotate'],
      ['PUT', '/users/nobody/roles/admin'],
      ['DELETE', '/users/nobody/roles/admin'],
    ];
    for (const [method, path, body] of writes) {
      const response = await call(method, path, readToken, body);
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((await bodyOf(response)).error).toBe('insufficient_scope');
      expect(response.headers.get('www-authenticate')).toContain('scope="admin"');
    }
    // Nothing was changed, and each refusal is audited with the caller.
    expect((await t.store.clients.get(admin.clientId))?.clientName).toBe('automation');
    const refusals = await t.store.audit.list({ type: 'admin.request_refused' });
    expect(refusals).toHaveLength(writes.length);
    expect(refusals.every((event) => event.clientId === reader.clientId && event.outcome === 'failure')).toBe(true);
  });

  it('lets a read-only token read', async () => {
    for (const path of ['/clients', `/clients/${admin.clientId}`, '/users', '/openapi.json', '/keys']) {
      expect((await call('GET', path, readToken)).status, path).toBe(200);
    }
  });

  it('grants the admin scopes by client_credentials only to clients registered with them', async () => {
    const plain = await t.register({ name: 'api', scope: 'read' });
    const response = await t.requestToken(plain, { scope: 'admin' });
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).error).toBe('invalid_scope');
  });
});

describe('clients', () => {
  it('registers a public device client (RFC 8628 grant), which can then start a device authorization', async () => {
    const response = await call('POST', '/clients', adminToken, {
      client_name: 'Kiosk',
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    });
    expect(response.status).toBe(201);
    const client = await bodyOf(response);
    expect(client).toMatchObject({ grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], client_secret: null });
    expect(String(client.scope).split(' ')).toContain('openid');
    const device = await t.post('/device/auth', { client_id: client.client_id as string, scope: 'openid' });
    expect(device.status).toBe(200);
    await call('DELETE', `/clients/${client.client_id as string}`, adminToken);
  });

  it('registers a client, showing its secret once, then lists, shows, updates, rotates and removes it', async () => {
    const unauthenticated = await call('POST', '/clients', undefined, { client_name: 'Billing', redirect_uris: ['https://billing.example/callback'] });
    expect(unauthenticated.status).toBe(401);
    expect(await t.store.clients.list()).toHaveLength(2);
    const response = await call('POST', '/clients', adminToken, {
      client_name: 'Billing',
      redirect_uris: ['https://billing.example/callback'],
      scope: 'openid profile',
    });
    expect(response.status).toBe(201);
    const client = await bodyOf(response);
    expect(client).toMatchObject({ client_name: 'Billing', grant_types: ['authorization_code', 'refresh_token'], scope: 'openid profile' });
    expect(client.client_secret).toEqual(expect.any(String));
    const id = client.client_id as string;

    const shown = await bodyOf(await call('GET', `/clients/${id}`, adminToken));
    expect(shown.client_secret).toBeUndefined();
    expect(shown.client_name).toBe('Billing');

    const page = await bodyOf(await call('GET', '/clients?limit=2&offset=0', adminToken));
    expect(page).toMatchObject({ limit: 2, offset: 0 });
    expect(page.items).toHaveLength(2);
    const rest = await bodyOf(await call('GET', '/clients?limit=2&offset=2', adminToken));
    expect((rest.items as unknown[]).length).toBe(1);

    const updated = await call('PATCH', `/clients/${id}`, adminToken, { redirect_uris: ['https://billing.example/cb2'], resources: ['https://api.example/'] });
    expect(updated.status).toBe(200);
    expect(await bodyOf(updated)).toMatchObject({ redirect_uris: ['https://billing.example/cb2'], resources: ['https://api.example/'] });

    const rotated = await call('POST', `/clients/${id}/secret`, adminToken);
    expect(rotated.status).toBe(200);
    const { client_secret: newSecret } = await bodyOf(rotated);
    expect(newSecret).toEqual(expect.any(String));
    expect(newSecret).not.toBe(client.client_secret);

    const removed = await call('DELETE', `/clients/${id}`, adminToken);
    expect(removed.status).toBe(204);
    expect(await removed.text()).toBe('');
    expect(await t.store.clients.get(id)).toBeUndefined();

    // Every call audited with the acting client, the target in the details.
    const events = (await t.store.audit.list()).filter((event) => event.type.startsWith('admin.'));
    expect(events.map((event) => event.type)).toEqual([
      'admin.client_created',
      'admin.client_shown',
      'admin.clients_listed',
      'admin.clients_listed',
      'admin.client_updated',
      'admin.client_secret_rotated',
      'admin.client_removed',
    ]);
    expect(events.every((event) => event.clientId === admin.clientId)).toBe(true);
    expect(events[0]!.details).toMatchObject({ target_client_id: id });
    expect(JSON.stringify(events)).not.toContain(String(newSecret));
  });

  it('registers a token exchange client with its policy (RFC 8693), and refuses a public one or a policy without the grant', async () => {
    const grant = 'urn:ietf:params:oauth:grant-type:token-exchange';
    const response = await call('POST', '/clients', adminToken, {
      client_name: 'Notes API',
      grant_types: ['client_credentials', grant],
      scope: 'notes:read',
      is_resource_server: true,
      served_resources: ['https://notes.example/'],
      token_exchange: { impersonation: true },
    });
    expect(response.status).toBe(201);
    const client = await bodyOf(response);
    expect(client).toMatchObject({
      grant_types: ['client_credentials', grant],
      served_resources: ['https://notes.example/'],
      token_exchange: { impersonation: true },
    });
    const stored = await t.store.clients.get(client.client_id as string);
    expect(stored?.grantTypes).toContain(grant);

    const refusals = [
      [
        { client_name: 'SPA', token_endpoint_auth_method: 'none', redirect_uris: ['https://spa.example/cb'], grant_types: ['authorization_code', grant] },
        'grant_types',
      ],
      [{ client_name: 'x', token_exchange: { impersonation: true } }, 'grant_types'],
    ] as const;
    for (const [body, field] of refusals) {
      const refused = await call('POST', '/clients', adminToken, body);
      expect(refused.status).toBe(400);
      expect(((await bodyOf(refused)).fields as { field: string }[])[0]!.field).toBe(field);
    }
    const unknownMember = await call('POST', '/clients', adminToken, { client_name: 'x', grant_types: [grant], token_exchange: { act_as_anyone: true } });
    expect(unknownMember.status).toBe(400);
  });

  it('works the rotated secret at once and refuses the old one', async () => {
    const target = await t.register({ name: 'svc', scope: 'read' });
    const { client_secret: secret } = await bodyOf(await call('POST', `/clients/${target.clientId}/secret`, adminToken));
    expect((await t.requestToken(target)).status).toBe(401);
    expect((await t.requestToken({ ...target, clientSecret: secret as string })).status).toBe(200);
  });

  it('answers 400 with the fields at fault, never echoing the input', async () => {
    const secretLooking = 'javascript:alert("s3cr3t")';
    const response = await call('POST', '/clients', adminToken, {
      client_name: '',
      redirect_uris: ['https://ok.example/cb', 42],
      grant_types: ['implicit'],
      colour: 'blue',
    });
    expect(response.status).toBe(400);
    const body = await bodyOf(response);
    expect(body).toMatchObject({ error: 'invalid_request', error_description: 'the request has invalid fields' });
    const fields = body.fields as { field: string; message: string }[];
    expect(fields.map((entry) => entry.field).sort()).toEqual(['client_name', 'colour', 'grant_types.0', 'redirect_uris.1'].sort());

    // A value the admin function refuses (not the schema): named, not repeated.
    const refused = await call('POST', '/clients', adminToken, { client_name: 'x', redirect_uris: [secretLooking] });
    expect(refused.status).toBe(400);
    const text = await refused.text();
    expect(text).not.toContain('s3cr3t');
    expect(JSON.parse(text)).toMatchObject({ error: 'invalid_request', fields: [{ field: 'redirect_uris', message: expect.stringContaining('the value') }] });
  });

  it('refuses a body that is not JSON, or not an object, or an empty update', async () => {
    expect((await call('POST', '/clients', adminToken, '{not json')).status).toBe(400);
    expect((await call('POST', '/clients', adminToken, '[1,2]')).status).toBe(400);
    const form = await t.server.fetch(
      new Request(`${t.issuer}${API}/clients`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'client_name=x',
      }),
    );
    expect(form.status).toBe(400);
    const empty = await call('PATCH', `/clients/${admin.clientId}`, adminToken, {});
    expect(empty.status).toBe(400);
    expect((await bodyOf(empty)).fields).toEqual([
      { field: '(body)', message: 'give at least one of redirect_uris, post_logout_redirect_uris, resources, served_resources, jwks, jwks_uri' },
    ]);
  });

  it('refuses bad pagination', async () => {
    for (const query of ['limit=0', 'limit=201', 'limit=abc', 'offset=-1', 'limit=1e2']) {
      const response = await call('GET', `/clients?${query}`, adminToken);
      expect(response.status, query).toBe(400);
      expect((await bodyOf(response)).error).toBe('invalid_request');
    }
  });

  it('answers 404 JSON for an unknown id', async () => {
    for (const [method, path, body] of [
      ['GET', '/clients/nope'],
      ['PATCH', '/clients/nope', { resources: [] }],
      ['DELETE', '/clients/nope'],
      ['POST', '/clients/nope/secret'],
    ] as const) {
      const response = await call(method, path, adminToken, body);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(await bodyOf(response)).toEqual({ error: 'invalid_request', error_description: 'no client with this id' });
    }
  });

  it('refuses to rotate the secret of a public client (400, not 500)', async () => {
    const created = await bodyOf(
      await call('POST', '/clients', adminToken, { client_name: 'SPA', redirect_uris: ['https://spa.example/cb'], token_endpoint_auth_method: 'none' }),
    );
    expect(created.client_secret).toBeNull();
    const response = await call('POST', `/clients/${created.client_id as string}/secret`, adminToken);
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).fields).toEqual([{ field: 'client', message: 'a public client has no secret' }]);
  });

  it('answers 405 with Allow for a method the path does not take', async () => {
    const response = await call('PUT', `/clients/${admin.clientId}`, adminToken, {});
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, PATCH, DELETE');
  });
});

describe('users', () => {
  it('grants and revokes the admin role (PUT and DELETE /users/{id}/roles/admin), audited with the caller, the last admin included', async () => {
    await createUser(t.store, { username: 'carol' }, t.clock.now());
    const granted = await call('PUT', '/users/carol/roles/admin', adminToken);
    expect(granted.status).toBe(200);
    expect(await bodyOf(granted)).toMatchObject({ username: 'carol', roles: ['admin'] });
    expect(await bodyOf(await call('PUT', '/users/carol/roles/admin', adminToken))).toMatchObject({ roles: ['admin'] });
    expect(await bodyOf(await call('GET', '/users/carol', readToken))).toMatchObject({ roles: ['admin'] });
    // carol is the only admin: revoking is allowed all the same (the CLI is the way back).
    const revoked = await call('DELETE', '/users/carol/roles/admin', adminToken);
    expect(revoked.status).toBe(200);
    expect(await bodyOf(revoked)).toMatchObject({ roles: [] });
    expect((await call('PUT', '/users/nobody/roles/admin', adminToken)).status).toBe(404);
    const sub = (await t.store.users.findByLogin('carol'))!.id;
    const events = [...(await t.store.audit.list({ type: 'admin.role_granted' })), ...(await t.store.audit.list({ type: 'admin.role_revoked' }))];
    expect(events.map((event) => [event.type, event.details.changed])).toEqual([
      ['admin.role_granted', true],
      ['admin.role_granted', false],
      ['admin.role_revoked', true],
    ]);
    expect(events.every((event) => event.clientId === admin.clientId && event.details.target_sub === sub && event.details.role === 'admin')).toBe(true);
  });

  it('creates, lists, shows, updates, unlocks, signs out and removes a user', async () => {
    const created = await call('POST', '/users', adminToken, {
      username: 'Alice',
      email: 'alice@example.com',
      name: 'Alice A',
      password: 'correct horse battery',
    });
    expect(created.status).toBe(201);
    const user = await bodyOf(created);
    expect(user).toMatchObject({ username: 'alice', email: 'alice@example.com', name: 'Alice A', has_password: true, disabled: false });
    expect(user).not.toHaveProperty('password');
    const sub = user.sub as string;

    const list = await bodyOf(await call('GET', '/users?limit=10', adminToken));
    expect((list.items as { sub: string }[]).map((item) => item.sub)).toEqual([sub]);
    expect((await bodyOf(await call('GET', '/users/alice@example.com', adminToken))).sub).toBe(sub);

    const updated = await call('PATCH', `/users/${sub}`, adminToken, { name: 'Alice B', email: 'alice.b@example.com' });
    expect(await bodyOf(updated)).toMatchObject({ name: 'Alice B', email: 'alice.b@example.com', email_verified: false });
    const disabled = await call('PATCH', '/users/alice', adminToken, { disabled: true });
    expect((await bodyOf(disabled)).disabled).toBe(true);
    expect((await t.store.users.get(sub))?.disabled).toBe(true);
    const cleared = await call('PATCH', '/users/alice', adminToken, { name: null, disabled: false });
    expect(await bodyOf(cleared)).not.toHaveProperty('name');

    const unlocked = await call('POST', '/users/alice/unlock', adminToken);
    expect(unlocked.status).toBe(200);
    expect((await bodyOf(unlocked)).sub).toBe(sub);

    const revoked = await call('POST', '/users/alice/sessions/revoke', adminToken);
    expect(revoked.status).toBe(200);
    expect(await bodyOf(revoked)).toMatchObject({ sub, sessions_ended: 0, consents_marked: 0, revoked_at: expect.any(String) });

    expect((await call('DELETE', '/users/alice', adminToken)).status).toBe(204);
    expect(await t.store.users.get(sub)).toBeUndefined();

    const events = (await t.store.audit.list()).filter((event) => event.type.startsWith('admin.'));
    expect(events.map((event) => event.type)).toEqual([
      'admin.user_created',
      'admin.users_listed',
      'admin.user_shown',
      'admin.user_updated',
      'admin.user_updated',
      'admin.user_updated',
      'admin.user_unlocked',
      'admin.user_sessions_revoked',
      'admin.user_removed',
    ]);
    expect(events.every((event) => event.clientId === admin.clientId)).toBe(true);
    expect(events.filter((event) => event.type !== 'admin.users_listed').every((event) => event.details.target_sub === sub)).toBe(true);
    expect(JSON.stringify(events)).not.toContain('correct horse');
  });

  it('answers 400 for bad fields and a username or email already taken never as a 500', async () => {
    await createUser(t.store, { username: 'bob', email: 'bob@example.com' }, t.clock.now());
    const bad = await call('POST', '/users', adminToken, { username: 'x', email: 'not an address', password: 'short' });
    expect(bad.status).toBe(400);
    const weak = await call('POST', '/users', adminToken, { username: 'carol', password: 'short' });
    expect(weak.status).toBe(400);
    expect((await bodyOf(weak)).fields).toEqual([{ field: 'password', message: 'must be 8 to 1024 characters' }]);
    const badEmail = await call('PATCH', '/users/bob', adminToken, { email: 'not an address' });
    expect(badEmail.status).toBe(400);
    expect(await badEmail.text()).not.toContain('not an address');
    expect((await call('PATCH', '/users/bob', adminToken, { disabled: 'yes' })).status).toBe(400);
    for (const body of [{ username: 'bob' }, { username: 'bobby', email: 'bob@example.com' }]) {
      const taken = await call('POST', '/users', adminToken, body);
      expect(taken.status).toBe(409);
      expect((await bodyOf(taken)).error).toBe('invalid_request');
    }
    await call('POST', '/users', adminToken, { username: 'dan', email: 'dan@example.com' });
    const clash = await call('PATCH', '/users/dan', adminToken, { email: 'bob@example.com' });
    expect(clash.status).toBe(409);
    expect(await bodyOf(clash)).toMatchObject({ fields: [{ field: 'email', message: 'is already taken' }] });
  });

  it('answers 404 JSON for an unknown user', async () => {
    for (const [method, path, body] of [
      ['GET', '/users/nobody'],
      ['PATCH', '/users/nobody', { disabled: true }],
      ['DELETE', '/users/nobody'],
      ['POST', '/users/nobody/unlock'],
      ['POST', '/users/nobody/sessions/revoke'],
    ] as const) {
      const response = await call(method, path, adminToken, body);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(await bodyOf(response)).toEqual({ error: 'invalid_request', error_description: 'no user with this sub, username or email' });
    }
  });
});

describe('signing keys', () => {
  /** The `kid` in the protected header of a JWT. */
  const kidOf = (jwt: string): string => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

  it('lists the keys without any private part, and rotates them as gatehouse keys rotate does', async () => {
    const listed = await call('GET', '/keys', readToken);
    expect(listed.status).toBe(200);
    const before = (await bodyOf(listed)).items as Record<string, unknown>[];
    expect(before.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of before) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'created_at', 'kid', 'published', 'retired_at', 'status']);
      expect(key).toMatchObject({ status: 'active', published: true, retired_at: null });
    }
    const text = JSON.stringify(before);
    expect(text).not.toMatch(/"d"|private|encrypted/i);

    t.clock.advance(1000);
    const rotated = await call('POST', '/keys/rotate', adminToken);
    expect(rotated.status).toBe(200);
    const fresh = (await bodyOf(rotated)).items as Record<string, unknown>[];
    expect(fresh.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(fresh.every((key) => key.status === 'active' && !before.some((old) => old.kid === key.kid))).toBe(true);

    const after = (await bodyOf(await call('GET', '/keys', adminToken))).items as Record<string, unknown>[];
    expect(after).toHaveLength(4);
    for (const old of before) {
      expect(after.find((key) => key.kid === old.kid)).toMatchObject({ status: 'retired', published: true, retired_at: expect.any(String) });
    }
    // This server signs with the new key at once, and the old tokens still work.
    const token = await t.issueToken(admin, { scope: 'admin' });
    expect(fresh.map((key) => key.kid)).toContain(kidOf(token));
    expect((await call('GET', '/keys', token)).status).toBe(200);
    expect((await call('GET', '/keys', adminToken)).status).toBe(200);

    const events = await t.store.audit.list({ type: 'admin.keys_rotated' });
    expect(events).toHaveLength(1);
    // The kids are there, though the audit redaction masks them as it masks any long random-looking run (as for keys.rotated).
    expect(events[0]).toMatchObject({ clientId: admin.clientId, details: { kids: [expect.any(String), expect.any(String)] } });
  });

  it('refuses without a token, and answers 405 for other methods', async () => {
    expect((await call('GET', '/keys', undefined)).status).toBe(401);
    expect((await call('POST', '/keys/rotate', undefined)).status).toBe(401);
    expect((await call('POST', '/keys', adminToken)).status).toBe(405);
    expect((await call('GET', '/keys/rotate', adminToken)).status).toBe(405);
    expect((await t.store.keys.list()).length).toBe(2);
  });
});

describe("a user's sessions and consents", () => {
  it('lists sessions without keys, lists consents, and revokes one as Remove access does', async () => {
    const users = await seedUsers(t.store);
    const app = await registerFlowClient(t, { name: 'Photos', scope: 'openid profile' });
    const tokens = await signIn(new Browser(t), t, app, users.alice, { scope: 'openid profile' });

    const sessions = await call('GET', `/users/${users.alice.record.id}/sessions`, readToken);
    expect(sessions.status).toBe(200);
    const sessionBody = await bodyOf(sessions);
    expect(sessionBody.sub).toBe(users.alice.record.id);
    const items = sessionBody.items as Record<string, unknown>[];
    expect(items).toHaveLength(1);
    expect(Object.keys(items[0]!).sort()).toEqual(['created_at', 'device', 'expires_at', 'ip', 'methods', 'sid']);
    expect(items[0]!.methods).toContain('pwd');
    // No session key anywhere: the stored artifact's id is not shown.
    const [stored] = await t.store.artifacts.listByOwner('session', `user:${users.alice.record.id}`);
    expect(JSON.stringify(sessionBody)).not.toContain(stored!.id);

    const consents = await call('GET', '/users/alice/consents', readToken);
    expect(consents.status).toBe(200);
    const [consent] = (await bodyOf(consents)).items as Record<string, unknown>[];
    expect(consent).toMatchObject({ client_id: app.clientId, client_name: 'Photos', scope: expect.stringContaining('openid') });

    expect((await call('DELETE', `/users/alice/consents/${consent!.id as string}`, readToken)).status).toBe(403);
    const removed = await call('DELETE', `/users/alice/consents/${consent!.id as string}`, adminToken);
    expect(removed.status).toBe(204);
    expect((await t.store.consents.get(consent!.id as string))?.revokedAt).not.toBeNull();
    expect((await bodyOf(await call('GET', '/users/alice/consents', adminToken))).items).toEqual([]);
    // Its tokens stopped working.
    expect((await t.get('/userinfo', { headers: { Authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    const [event] = await t.store.audit.list({ type: 'admin.consent_revoked' });
    expect(event).toMatchObject({ clientId: admin.clientId, details: { target_sub: users.alice.record.id, target_client_id: app.clientId } });

    // Revoked already, someone else's or unknown: 404.
    expect((await call('DELETE', `/users/alice/consents/${consent!.id as string}`, adminToken)).status).toBe(404);
    await signIn(new Browser(t), t, app, users.bob, { scope: 'openid profile' });
    const [bobs] = (await bodyOf(await call('GET', '/users/bob/consents', adminToken))).items as Record<string, unknown>[];
    const wrongUser = await call('DELETE', `/users/alice/consents/${bobs!.id as string}`, adminToken);
    expect(wrongUser.status).toBe(404);
    expect(await bodyOf(wrongUser)).toEqual({ error: 'invalid_request', error_description: 'no standing consent of this user with this id' });
    expect((await t.store.consents.get(bobs!.id as string))?.revokedAt).toBeNull();
  });

  it('refuses without a token or a scope, and answers 404 for an unknown user', async () => {
    for (const [method, path] of [
      ['GET', '/users/nobody/sessions'],
      ['GET', '/users/nobody/consents'],
      ['DELETE', '/users/nobody/consents/x'],
    ] as const) {
      expect((await call(method, path, undefined)).status, path).toBe(401);
      const response = await call(method, path, adminToken);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect((await bodyOf(response)).error_description).toBe('no user with this sub, username or email');
    }
    const plain = await t.register({ name: 'api', scope: 'read' });
    expect((await call('GET', '/users/nobody/sessions', await t.issueToken(plain))).status).toBe(403);
    // Sessions are ended by POST /users/{id}/sessions/revoke, not a DELETE here.
    expect((await call('DELETE', '/users/nobody/sessions', adminToken)).status).toBe(405);
  });
});
