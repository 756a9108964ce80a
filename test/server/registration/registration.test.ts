/**
 * Dynamic client registration (RFC 7591) and its management (RFC 7592), through the fetch handler:
 * the policies, the client information response, every refusal the RFCs name, the registration
 * access token (401 alike for a wrong token and an unknown client), initial access tokens (scope,
 * expiry, revocation) issued through the admin API, discovery, and the audit events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../helpers/server.js';

const API = '/admin/api/v1';
const NATIVE = { redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none', client_name: 'CLI tool' };

type Json = Record<string, unknown>;

/** A JSON request. */
function call(t: TestServer, method: string, path: string, body?: unknown, token?: string, from = '198.51.100.7'): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return t.server.fetch(new Request(new URL(path, t.issuer).href, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }), {
    remoteAddress: from,
  });
}

async function registered(response: Response): Promise<Json> {
  const body = (await response.json()) as Json;
  if (response.status !== 201) throw new Error(`expected 201, got ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** An initial access token from the admin API. */
async function initialAccessToken(t: TestServer, adminToken: string, options: Json = {}): Promise<{ token: string; id: string }> {
  const response = await call(t, 'POST', `${API}/registration/tokens`, options, adminToken);
  const body = (await response.json()) as Json;
  expect(response.status).toBe(201);
  return { token: body.token as string, id: body.id as string };
}

async function auditTypes(t: TestServer): Promise<string[]> {
  return (await t.store.audit.list({ limit: 10_000 })).map((event) => event.type);
}

describe('registration.policy off (the default)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(() => t.server.close());

  it('advertises no registration_endpoint and serves no /register', async () => {
    const metadata = (await (await t.get('/.well-known/openid-configuration')).json()) as Json;
    expect(metadata).not.toHaveProperty('registration_endpoint');
    expect((await call(t, 'POST', '/register', NATIVE)).status).toBe(404);
    expect((await call(t, 'GET', '/register/abc', undefined, 'x')).status).toBe(404);
  });
});

describe('registration.policy open', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer({ registration: { policy: 'open' } });
  });
  afterAll(() => t.server.close());

  it('advertises the registration endpoint (RFC 8414 §2)', async () => {
    const metadata = (await (await t.get('/.well-known/openid-configuration')).json()) as Json;
    expect(metadata.registration_endpoint).toBe(`${t.issuer}/register`);
  });

  it('registers a public native client: 201 with the client information of RFC 7591 §3.2.1, never cached', async () => {
    const response = await call(t, 'POST', '/register', { ...NATIVE, unknown_member: 'x', logo_uri: 'https://cli.example/logo.png' });
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await registered(response);
    expect(body).toMatchObject({
      client_name: 'CLI tool',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      logo_uri: 'https://cli.example/logo.png',
      registration_client_uri: `${t.issuer}/register/${String(body.client_id)}`,
    });
    expect(body.client_id_issued_at).toBe(Math.floor(t.clock.now() / 1000));
    expect(body).not.toHaveProperty('client_secret');
    expect(body).not.toHaveProperty('client_secret_expires_at');
    expect(body).not.toHaveProperty('unknown_member');
    expect(body.registration_access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await t.store.clients.get(body.client_id as string);
    expect(stored?.registration).toMatchObject({ via: 'open', initialAccessTokenId: null });
    expect(JSON.stringify(stored)).not.toContain(body.registration_access_token as string);
    expect(stored?.extra).not.toHaveProperty('unknown_member');
  });

  it.each([
    ['a confidential client', { ...NATIVE, token_endpoint_auth_method: 'client_secret_basic' }, 'invalid_client_metadata'],
    ['an https redirect URI (web clients need an initial access token)', { ...NATIVE, redirect_uris: ['https://app.example/cb'] }, 'invalid_redirect_uri'],
    ['a fragment', { ...NATIVE, redirect_uris: ['http://127.0.0.1/cb#x'] }, 'invalid_redirect_uri'],
    ['client_credentials', { ...NATIVE, grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
    ['the admin scope', { ...NATIVE, scope: 'openid admin' }, 'invalid_client_metadata'],
    ['a software statement', { ...NATIVE, software_statement: 'eyJhbGciOiJub25lIn0.e30.' }, 'unapproved_software_statement'],
    ['an array', [NATIVE], 'invalid_client_metadata'],
  ])('refuses %s with 400 %s (RFC 7591 §3.2.2)', async (_, body, error) => {
    const response = await call(t, 'POST', '/register', body);
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ error });
  });

  it('answers hostile values in every field with a spec-shaped 400 that never echoes them (RFC 6749 §5.2 characters)', async () => {
    const mark = 'Zq9MARKx7';
    const hostile = [`${mark}"quoted"`, `${mark}\\back`, `${mark}<script>é€`, `${mark}\u0007bell`, `${mark}-${'A'.repeat(3000)}`, `javascript:${mark}`];
    const fields = [
      'redirect_uris',
      'token_endpoint_auth_method',
      'grant_types',
      'response_types',
      'client_name',
      'client_uri',
      'logo_uri',
      'scope',
      'contacts',
      'tos_uri',
      'policy_uri',
      'software_id',
      'application_type',
      'id_token_signed_response_alg',
      'post_logout_redirect_uris',
    ];
    const arrays = new Set(['redirect_uris', 'grant_types', 'response_types', 'contacts', 'post_logout_redirect_uris']);
    let sent = 0;
    for (const field of fields) {
      for (const value of hostile) {
        for (const shape of [value, [value], { value }, 42]) {
          const body = { ...NATIVE, [field]: arrays.has(field) && typeof shape === 'string' ? [shape] : shape };
          // Each from its own address: this is about the answers, not registrationPerIp.
          sent += 1;
          const response = await call(t, 'POST', '/register', body, undefined, `2001:db8::${sent.toString(16)}`);
          const text = await response.text();
          if (response.status === 201) continue; // a value some field accepts as it is (a long client name is not one)
          expect(response.status, `${field} ${JSON.stringify(shape).slice(0, 40)}`).toBe(400);
          const error = JSON.parse(text) as { error: string; error_description: string };
          expect(error.error_description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
          expect(text).not.toContain(mark);
        }
      }
    }
  });

  it('refuses a body that is not JSON, and JSON that does not parse', async () => {
    const form = await t.server.fetch(
      new Request(`${t.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'redirect_uris=x' }),
    );
    expect(form.status).toBe(400);
    expect(await form.json()).toMatchObject({ error: 'invalid_request' });
    const broken = await t.server.fetch(
      new Request(`${t.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"redirect' }),
    );
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: 'invalid_client_metadata' });
  });

  it('refuses an unknown initial access token with 401 and the RFC 6750 challenge, even where open registration needs none', async () => {
    const response = await call(t, 'POST', '/register', NATIVE, 'not-a-token');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
  });

  describe('management (RFC 7592)', () => {
    let client: Json;
    beforeAll(async () => {
      client = await registered(await call(t, 'POST', '/register', { ...NATIVE, client_name: 'Managed', contacts: ['dev@cli.example'] }));
    });
    const uri = () => client.registration_client_uri as string;
    const token = () => client.registration_access_token as string;

    it('reads the registration (§2.1), the presented token in the answer', async () => {
      const response = await call(t, 'GET', uri(), undefined, token());
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual(client);
    });

    it('answers a wrong token, a missing one and an unknown client alike: 401 with a challenge, nothing about the client (§2.1)', async () => {
      const wrong = await call(t, 'GET', uri(), undefined, 'x'.repeat(43));
      const unknown = await call(t, 'GET', `${t.issuer}/register/no-such-client`, undefined, token());
      const operatorClient = await t.register();
      const notRegistered = await call(t, 'GET', `${t.issuer}/register/${operatorClient.clientId}`, undefined, token());
      for (const response of [wrong, unknown, notRegistered]) {
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe(
          'Bearer realm="gatehouse", error="invalid_token", error_description="the registration access token is invalid"',
        );
        expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'the registration access token is invalid' });
      }
      const missing = await call(t, 'GET', uri());
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
      const deleteUnknown = await call(t, 'DELETE', `${t.issuer}/register/no-such-client`, undefined, token());
      expect(deleteUnknown.status).toBe(401);
    });

    it('replaces the metadata (§2.2): omitted fields are cleared, client_id must match, the server members are refused', async () => {
      const update = { client_id: client.client_id, redirect_uris: ['http://[::1]:8400/cb'], token_endpoint_auth_method: 'none', client_name: 'Renamed' };
      const response = await call(t, 'PUT', uri(), update, token());
      const body = (await response.json()) as Json;
      expect(response.status).toBe(200);
      expect(body).toMatchObject({
        client_id: client.client_id,
        client_name: 'Renamed',
        redirect_uris: ['http://[::1]:8400/cb'],
        registration_access_token: token(),
      });
      expect(body).not.toHaveProperty('contacts');
      expect((await t.store.clients.get(client.client_id as string))?.clientName).toBe('Renamed');

      const refusals: [Json, number, string][] = [
        [{ ...update, client_id: 'another' }, 400, 'invalid_client_metadata'],
        [{ ...update, client_id: undefined }, 400, 'invalid_client_metadata'],
        [{ ...update, registration_access_token: token() }, 400, 'invalid_request'],
        [{ ...update, client_id_issued_at: 1 }, 400, 'invalid_request'],
        [{ ...update, client_secret: 'chosen-by-me' }, 400, 'invalid_client_metadata'],
        [{ ...update, token_endpoint_auth_method: 'client_secret_basic' }, 400, 'invalid_client_metadata'],
        [{ ...update, redirect_uris: ['https://web.example/cb'] }, 400, 'invalid_redirect_uri'],
      ];
      for (const [body, status, error] of refusals) {
        const refused = await call(t, 'PUT', uri(), body, token());
        expect([refused.status, ((await refused.json()) as Json).error]).toEqual([status, error]);
      }
      expect((await t.store.clients.get(client.client_id as string))?.redirectUris).toEqual(['http://[::1]:8400/cb']);
    });

    it('deletes the client (§2.3): 204, then its token opens nothing', async () => {
      const response = await call(t, 'DELETE', uri(), undefined, token());
      expect(response.status).toBe(204);
      expect(await t.store.clients.get(client.client_id as string)).toBeUndefined();
      expect((await call(t, 'GET', uri(), undefined, token())).status).toBe(401);
    });

    it('records registration, update and deletion in the audit log', async () => {
      const types = await auditTypes(t);
      expect(types).toEqual(expect.arrayContaining(['client.registered', 'client.registration_updated', 'client.registration_deleted']));
      const registeredEvent = (await t.store.audit.list({ type: 'client.registered', limit: 100 })).find((event) => event.clientId === client.client_id);
      expect(registeredEvent?.details).toMatchObject({ via: 'open', auth_method: 'none', redirect_hosts: ['127.0.0.1'] });
      expect(JSON.stringify(await t.store.audit.list({ limit: 10_000 }))).not.toContain(token());
    });
  });
});

describe('registration.policy initial-access-token', () => {
  let t: TestServer;
  let adminToken: string;
  beforeAll(async () => {
    t = await startServer({ registration: { policy: 'initial-access-token' }, scopes: ['api:read'] });
    const admin = await t.register({ name: 'automation', scope: 'admin' });
    adminToken = await t.issueToken(admin, { scope: 'admin' });
  });
  afterAll(() => t.server.close());

  it('refuses a registration without a token: 401 with the bare challenge (RFC 6750 §3.1)', async () => {
    const response = await call(t, 'POST', '/register', NATIVE);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
  });

  it('registers a confidential web client with a token: its secret shown once, never expiring, and it works at the token endpoint', async () => {
    const { token, id } = await initialAccessToken(t, adminToken, { label: 'partner', client_types: ['confidential'] });
    const body = await registered(
      await call(
        t,
        'POST',
        '/register',
        { grant_types: ['client_credentials'], client_name: 'Partner worker', scope: 'api:read', token_endpoint_auth_method: 'client_secret_post' },
        token,
      ),
    );
    expect(body).toMatchObject({ client_secret_expires_at: 0, response_types: [], grant_types: ['client_credentials'] });
    expect(body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await t.store.clients.get(body.client_id as string);
    expect(stored?.registration).toMatchObject({ via: 'initial-access-token', initialAccessTokenId: id });
    const record = JSON.stringify(stored);
    expect(record).not.toContain(body.client_secret as string);
    expect(record).not.toContain(body.registration_access_token as string);
    const accessToken = await t.issueToken(
      { clientId: body.client_id as string, clientSecret: body.client_secret as string, record: stored! },
      { scope: 'api:read' },
    );
    expect(accessToken).toBeTruthy();
    // Read back: the secret is kept only hashed, so it is not shown again.
    const read = (await (await call(t, 'GET', body.registration_client_uri as string, undefined, body.registration_access_token as string)).json()) as Json;
    expect(read).not.toHaveProperty('client_secret');
    expect(read.client_secret_expires_at).toBe(0);
    // A single-use token (the default) is used up.
    expect((await call(t, 'POST', '/register', NATIVE, token)).status).toBe(401);
  });

  it("holds a registration to the token's scope: client types and grant types", async () => {
    const { token } = await initialAccessToken(t, adminToken, { client_types: ['public'], grant_types: ['authorization_code'], max_uses: 5 });
    const confidential = await call(t, 'POST', '/register', { redirect_uris: ['https://app.example/cb'] }, token);
    expect([confidential.status, ((await confidential.json()) as Json).error]).toEqual([400, 'invalid_client_metadata']);
    const refresh = await call(t, 'POST', '/register', { ...NATIVE, grant_types: ['authorization_code', 'refresh_token'] }, token);
    expect([refresh.status, ((await refresh.json()) as Json).error]).toEqual([400, 'invalid_client_metadata']);
    // Refusals spend no use: the web app (https, public: a token admits any redirect URI of the rules) still registers.
    await registered(await call(t, 'POST', '/register', { redirect_uris: ['https://spa.example/cb'], token_endpoint_auth_method: 'none' }, token));
    const list = (await (await call(t, 'GET', `${API}/registration/tokens`, undefined, adminToken)).json()) as { items: Json[] };
    expect(list.items.find((item) => item.max_uses === 5)).toMatchObject({ uses: 1, client_types: ['public'], grant_types: ['authorization_code'] });
  });

  it('refuses an expired token, and a revoked one', async () => {
    const expiring = await initialAccessToken(t, adminToken, { ttl: 60, max_uses: 2 });
    t.clock.advance(61_000);
    expect((await call(t, 'POST', '/register', NATIVE, expiring.token)).status).toBe(401);
    const revoked = await initialAccessToken(t, adminToken, { max_uses: 2 });
    expect((await call(t, 'DELETE', `${API}/registration/tokens/${revoked.id}`, undefined, adminToken)).status).toBe(204);
    const response = await call(t, 'POST', '/register', NATIVE, revoked.token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await call(t, 'DELETE', `${API}/registration/tokens/${revoked.id}`, undefined, adminToken)).status).toBe(404);
  });

  it('keeps initial access tokens hashed, and audits their issue and revocation', async () => {
    const { token, id } = await initialAccessToken(t, adminToken);
    expect(await t.store.artifacts.get('registration_iat', token)).toBeUndefined();
    const stored = await t.store.artifacts.listByOwner('registration_iat', 'registration-iats', 1000);
    expect(stored.some((record) => record.id.startsWith(id))).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(token);
    const types = await auditTypes(t);
    expect(types).toEqual(expect.arrayContaining(['registration.token_issued', 'registration.token_revoked', 'admin.registration_token_issued']));
  });

  it('shows operators how a client registered itself, never the hash of its registration access token', async () => {
    const { token, id } = await initialAccessToken(t, adminToken);
    const body = await registered(await call(t, 'POST', '/register', NATIVE, token));
    const shown = (await (await call(t, 'GET', `${API}/clients/${String(body.client_id)}`, undefined, adminToken)).json()) as Json;
    expect(shown.registration).toEqual({ via: 'initial-access-token', initial_access_token: id });
    const hash = (await t.store.clients.get(body.client_id as string))!.registration!.accessTokenHash;
    expect(JSON.stringify(shown)).not.toContain(hash);
  });

  it('refuses out-of-bounds token requests with 400, naming the field', async () => {
    const response = await call(t, 'POST', `${API}/registration/tokens`, { max_uses: 101 }, adminToken);
    expect(response.status).toBe(400);
    const grant = await call(t, 'POST', `${API}/registration/tokens`, { grant_types: ['password'] }, adminToken);
    expect(grant.status).toBe(400);
  });
});
