/**
 * Attacks on issue 19's additions (dynamic registration, client metadata documents, token exchange,
 * resource binding) that the review found to work, each kept as a test of its fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient, updateClient } from '../../src/server/admin/clients.js';
import type { ClientRecord } from '../../src/stores/contract.js';
import { json, startDocumentServer, type DocumentServer } from '../helpers/document-server.js';
import {
  APP_REDIRECT,
  authorize,
  authorizeParams,
  authorizeUrl,
  expectPage,
  expectTokens,
  pkce,
  redeemCode,
  startFlow,
  testUsers,
  type Flow,
  type FlowClient,
} from '../helpers/flow.js';
import { TOKEN_EXCHANGE_GRANT } from '../../src/server/grants/token-exchange.js';
import { basic, startServer, type TestServer } from '../helpers/server.js';

type Json = Record<string, unknown>;

/** A JSON request from one address. */
function call(t: TestServer, method: string, path: string, body?: unknown, token?: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return t.server.fetch(new Request(new URL(path, t.issuer).href, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }), {
    remoteAddress: '198.51.100.9',
  });
}

describe('RFC 7592 update of a self-registered client', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer({ registration: { policy: 'open' } });
  });
  afterAll(() => t.server.close());

  it('keeps what the operator set on the client (its resources): a client cannot lift a restriction by replacing its metadata', async () => {
    const response = await call(t, 'POST', '/register', { redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none', client_name: 'CLI' });
    expect(response.status).toBe(201);
    const registered = (await response.json()) as Json;
    const clientId = registered.client_id as string;
    // The operator narrows the client to one API (`gatehouse clients update --resource`).
    await updateClient(t.store, clientId, { resources: ['https://api.one.example/'] }, t.clock.now());

    const put = await call(
      t,
      'PUT',
      registered.registration_client_uri as string,
      { client_id: clientId, redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none', client_name: 'CLI 2' },
      registered.registration_access_token as string,
    );
    expect(put.status).toBe(200);
    const stored = (await t.store.clients.get(clientId))!;
    expect(stored.clientName).toBe('CLI 2');
    expect(stored.resources).toEqual(['https://api.one.example/']);
  });
});

describe('client metadata documents and the admin scopes', () => {
  let documents: DocumentServer;
  beforeAll(async () => {
    documents = await startDocumentServer('http');
  });
  afterAll(() => documents.close());

  it('a document naming admin is refused, as a registration naming it is, even when the server advertises admin', async () => {
    const t = await startServer({
      scopes: ['admin', 'notes'],
      registration: { policy: 'open' },
      clientMetadataDocuments: { enabled: true },
      // Tests only: the document server is on loopback, over plain http.
      protection: { unsafeFetchAllowList: ['127.0.0.1'], unsafeFetchAllowHttp: true },
    });
    const registration = await call(t, 'POST', '/register', {
      redirect_uris: ['http://127.0.0.1/cb'],
      token_endpoint_auth_method: 'none',
      scope: 'openid admin',
    });
    expect([registration.status, ((await registration.json()) as Json).error]).toEqual([400, 'invalid_client_metadata']);

    const url = `${documents.origin}/admin-tool.json`;
    documents.on(
      '/admin-tool.json',
      json({ client_id: url, client_name: 'Admin tool', redirect_uris: [APP_REDIRECT], token_endpoint_auth_method: 'none', scope: 'openid admin' }),
    );
    const client: FlowClient = { clientId: url, clientSecret: null, record: { tokenEndpointAuthMethod: 'none' } as ClientRecord, redirectUri: APP_REDIRECT };
    const page = await t.get(authorizeUrl(t, authorizeParams(client, pkce().challenge, { scope: 'openid admin' })));
    // Refused with a page (the document is invalid), not sent on to sign-in and consent.
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    await t.server.close();
  });
});

describe('registration metadata that would reach a terminal or a page as something else', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer({ registration: { policy: 'open' } });
  });
  afterAll(() => t.server.close());

  const NATIVE = { redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none', client_name: 'CLI' };
  it.each([
    // `gatehouse clients show` prints these as they are: an escape sequence would drive the operator's terminal.
    ['an escape sequence in contacts', { ...NATIVE, contacts: ['dev\u001b]0;owned\u0007@cli.example'] }, 'invalid_client_metadata'],
    ['an escape sequence in a redirect URI', { ...NATIVE, redirect_uris: ['http://127.0.0.1/cb\u001b[2J'] }, 'invalid_redirect_uri'],
    ['a C1 control (CSI) in a redirect URI', { ...NATIVE, redirect_uris: ['http://127.0.0.1/cb\u009b2J'] }, 'invalid_redirect_uri'],
    ['a tab in a post-logout redirect URI', { ...NATIVE, post_logout_redirect_uris: ['http://127.0.0.1/\tout'] }, 'invalid_redirect_uri'],
    ['a C1 control in the name', { ...NATIVE, client_name: 'CLI\u009b2J' }, 'invalid_client_metadata'],
    // RFC 8252 §8.3: a name below localhost may be resolved by DNS (not every browser or platform keeps it on
    // loopback), so open registration would hand out a redirect to a web server: only the loopback literals and localhost.
    ["a name below localhost as open registration's redirect URI", { ...NATIVE, redirect_uris: ['http://evil.localhost/cb'] }, 'invalid_redirect_uri'],
    // The consent page shows the name: a bidi override would show it reversed ("Gatehouse" from "esuohetaG").
    ['a bidi override in the name', { ...NATIVE, client_name: '\u202eesuohetaG' }, 'invalid_client_metadata'],
    ['a bidi isolate in the name', { ...NATIVE, client_name: 'App\u2066x\u2069' }, 'invalid_client_metadata'],
  ])('refuses %s: 400 %s', async (_, body, error) => {
    const response = await call(t, 'POST', '/register', body);
    const answer = (await response.json()) as Json;
    expect([response.status, answer.error]).toEqual([400, error]);
    expect(answer.error_description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
  });

  it('still accepts names in any script', async () => {
    const response = await call(t, 'POST', '/register', { ...NATIVE, client_name: 'Приложение 应用 👩‍💻 تطبيق' }, undefined);
    expect(response.status).toBe(201);
  });
});

describe('consent to a grant bound to resources (RFC 8707)', () => {
  const MCP = 'https://mcp.example/mcp';
  const BANK = 'https://bank.example/api';
  let flow: Flow;
  beforeAll(async () => {
    await testUsers();
    flow = await startFlow();
    for (const [name, served] of [
      ['MCP server', MCP],
      ['Bank API', BANK],
    ] as const) {
      await registerClient(flow.server.store, flow.server.secretKeys, { name, isResourceServer: true, servedResources: [served] }, flow.server.clock.now());
    }
  });

  const open = (overrides: Record<string, string | undefined>) =>
    flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge, { scope: 'openid', ...overrides })));

  it('covers only the resources the consent page named: another resource, or none (a grant for any), asks again', async () => {
    // The user allows the client "Only at" the MCP server.
    await authorize(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid', resource: MCP });
    // The same again: no question.
    expect((await open({ resource: MCP })).location?.searchParams.get('code')).toBeTruthy();
    // Another API the user never saw named: the consent page, not a code bound to it.
    expectPage(await open({ resource: BANK }), 'consent');
    // No resource: a grant whose refresh may name any resource, beyond what was allowed.
    expectPage(await open({ resource: undefined }), 'consent');
    // With prompt=none: consent_required, not a code.
    expect((await open({ resource: BANK, prompt: 'none' })).location?.searchParams.get('error')).toBe('consent_required');
  });

  it('once the user allowed both, either is answered without asking; a consent given without resources covers any', async () => {
    await authorize(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid', resource: BANK });
    expect((await open({ resource: MCP })).location?.searchParams.get('code')).toBeTruthy();
    expect((await open({ resource: BANK })).location?.searchParams.get('code')).toBeTruthy();
    await authorize(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid' });
    expect((await open({ resource: undefined })).location?.searchParams.get('code')).toBeTruthy();
    expect((await open({ resource: BANK })).location?.searchParams.get('code')).toBeTruthy();
  });
});

describe('token exchange of a grant bound to resources (RFC 8707, RFC 8693)', () => {
  const MCP = 'https://mcp.example/mcp';
  const BANK = 'https://bank.example/api';

  it("gets tokens only for the resources the user's consent names, from the access token and the ID token alike", async () => {
    const flow = await startFlow({}, { grantTypes: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT], scope: 'openid offline_access' });
    for (const [name, served] of [
      ['MCP server', MCP],
      ['Bank API', BANK],
    ] as const) {
      await registerClient(flow.server.store, flow.server.secretKeys, { name, isResourceServer: true, servedResources: [served] }, flow.server.clock.now());
    }
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid', resource: MCP });
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, code, verifier));
    const exchange = (subject: string, type: string, resource: string) =>
      flow.server.post(
        '/token',
        { grant_type: TOKEN_EXCHANGE_GRANT, subject_token: subject, subject_token_type: `urn:ietf:params:oauth:token-type:${type}`, resource },
        { headers: { Authorization: basic(flow.client.clientId, flow.client.clientSecret!) } },
      );
    for (const [subject, type] of [
      [tokens.access_token, 'access_token'],
      [tokens.id_token!, 'id_token'],
    ] as const) {
      const refused = await exchange(subject, type, BANK);
      expect([refused.status, ((await refused.json()) as Json).error], type).toEqual([400, 'invalid_target']);
      expect((await exchange(subject, type, MCP)).status, type).toBe(200);
    }
  });
});
