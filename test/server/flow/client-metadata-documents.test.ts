/**
 * Client ID Metadata Documents end to end (draft-ietf-oauth-client-id-metadata-document): a client
 * whose `client_id` is the URL of its document, served by a real local web server, signs a user in
 * with the authorization code flow and PKCE, redeems the code at /token, refreshes and revokes; every
 * endpoint sees the same client. Abuse: a document on a private address, or redirecting, is refused
 * with a page (no redirect to an untrusted URI), never echoing the URL; fetches are limited per
 * address under 100 concurrent requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../../src/stores/contract.js';
import { json, startDocumentServer, type DocumentServer } from '../../helpers/document-server.js';
import {
  APP_REDIRECT,
  Browser,
  expectTokens,
  refresh,
  seedUsers,
  signIn,
  testUsers,
  tokenRequest,
  authorizeParams,
  authorizeUrl,
  pkce,
  type FlowClient,
} from '../../helpers/flow.js';
import { errorBody, startServer, type TestServerOptions } from '../../helpers/server.js';

let documents: DocumentServer;
const ON: TestServerOptions = {
  clientMetadataDocuments: { enabled: true },
  // Tests only: the document server is on loopback, over plain http.
  protection: { unsafeFetchAllowList: ['127.0.0.1'], unsafeFetchAllowHttp: true },
};

beforeAll(async () => {
  await testUsers();
  documents = await startDocumentServer('http');
});
afterAll(() => documents.close());

const at = (path: string) => `${documents.origin}${path}`;
const fetchesOf = (path: string) => documents.received.filter((request) => request.path === path).length;

/** Serves a document at `path` for a public client redirecting to APP_REDIRECT. */
function serveClient(path: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): FlowClient {
  documents.on(
    path,
    json(
      {
        client_id: at(path),
        client_name: 'Example MCP Tool',
        redirect_uris: [APP_REDIRECT],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'none',
        ...extra,
      },
      headers,
    ),
  );
  return { clientId: at(path), clientSecret: null, record: { tokenEndpointAuthMethod: 'none' } as ClientRecord, redirectUri: APP_REDIRECT };
}

async function expectPageRefusal(response: Response, url: string): Promise<string> {
  expect(response.status).toBe(400);
  expect(response.headers.get('location')).toBeNull();
  const body = await response.text();
  expect(body).toContain('Invalid sign-in request');
  expect(body).not.toContain(url);
  expect(body).not.toContain(encodeURIComponent(url));
  return body;
}

describe('client metadata documents: discovery', () => {
  it('advertises client_id_metadata_document_supported only when enabled', async () => {
    const on = await startServer(ON);
    expect(((await (await on.get('/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>).client_id_metadata_document_supported).toBe(
      true,
    );
    const off = await startServer();
    expect((await (await off.get('/.well-known/openid-configuration')).json()) as Record<string, unknown>).not.toHaveProperty(
      'client_id_metadata_document_supported',
    );
  });
});

describe('client metadata documents: sign-in with a document client', () => {
  it('authorization code + PKCE, consent showing the unverified client and its host, token, refresh and revocation with the URL as client_id', async () => {
    const server = await startServer(ON);
    const { alice } = await seedUsers(server.store);
    const client = serveClient('/flow/client.json', {}, { 'Cache-Control': 'max-age=300' });
    const browser = new Browser(server);
    const tokens = await signIn(browser, server, client, alice, { scope: 'openid profile offline_access' });
    expect(tokens.token_type).toBe('Bearer');
    const consent = browser.history.find((page) => page.body.includes('wants to access your'));
    expect(consent?.body).toContain('Example MCP Tool');
    expect(consent?.body).toContain('127.0.0.1');
    expect(consent?.body).toMatch(/unverified/i);
    const claims = JSON.parse(Buffer.from(tokens.id_token!.split('.')[1]!, 'base64url').toString()) as { aud: string };
    expect(claims.aud).toBe(client.clientId);

    const refreshed = await expectTokens(await refresh(server, client, tokens.refresh_token!));
    const revoked = await server.post('/revoke', { token: refreshed.refresh_token!, client_id: client.clientId });
    expect(revoked.status).toBe(200);
    expect((await refresh(server, client, refreshed.refresh_token!)).status).toBe(400);
    // Authorize, consent and three token requests: the document was fetched once (max-age=300).
    expect(fetchesOf('/flow/client.json')).toBe(1);
    // The account page lists the application (so its access can be removed there), without a fetch.
    const account = await browser.open('/account');
    expect(account.body).toContain('Example MCP Tool');
    expect(fetchesOf('/flow/client.json')).toBe(1);
  });

  it('a redirect URI the document does not list is refused on a page', async () => {
    const server = await startServer(ON);
    const client = serveClient('/flow/other-redirect.json');
    const params = authorizeParams({ ...client, redirectUri: 'https://evil.example/callback' }, pkce().challenge);
    const response = await server.get(authorizeUrl(server, params));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('the token endpoint answers invalid_client for a document that cannot be used, without the URL', async () => {
    const server = await startServer(ON);
    for (const path of ['/token/missing.json', '/token/secret.json']) {
      if (path.endsWith('secret.json')) serveClient(path, { token_endpoint_auth_method: 'client_secret_basic' });
      const response = await tokenRequest(
        server,
        { clientId: at(path), clientSecret: null, record: { tokenEndpointAuthMethod: 'none' } as ClientRecord, redirectUri: APP_REDIRECT },
        {
          grant_type: 'authorization_code',
          code: 'x',
          code_verifier: 'y'.repeat(43),
          redirect_uri: APP_REDIRECT,
        },
      );
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ error: 'invalid_client' });
      expect(text).not.toContain(documents.origin);
    }
  });

  it('is off by default: a URL client_id is an unknown client, and nothing is fetched', async () => {
    const server = await startServer();
    const client = serveClient('/off/client.json');
    const response = await server.get(authorizeUrl(server, authorizeParams(client, pkce().challenge)));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('the client is not registered');
    expect(fetchesOf('/off/client.json')).toBe(0);
  });
});

describe('client metadata documents: abuse', () => {
  it('a document on a private (loopback) address is refused with a page, without fetching it', async () => {
    const server = await startServer({ clientMetadataDocuments: { enabled: true }, protection: { unsafeFetchAllowHttp: true } });
    const client = serveClient('/abuse/private.json');
    await expectPageRefusal(await server.get(authorizeUrl(server, authorizeParams(client, pkce().challenge))), client.clientId);
    expect(fetchesOf('/abuse/private.json')).toBe(0);
  });

  it('a redirecting document is refused with a page, and the redirect is not followed', async () => {
    const server = await startServer(ON);
    serveClient('/abuse/target.json');
    documents.on('/abuse/redirect.json', (_request, response) => response.writeHead(302, { Location: at('/abuse/target.json') }).end());
    const client: FlowClient = { ...serveClient('/abuse/unused.json'), clientId: at('/abuse/redirect.json') };
    await expectPageRefusal(await server.get(authorizeUrl(server, authorizeParams(client, pkce().challenge))), client.clientId);
    expect(fetchesOf('/abuse/redirect.json')).toBe(1);
    expect(fetchesOf('/abuse/target.json')).toBe(0);
  });

  it('a malformed client identifier URL is refused without a fetch', async () => {
    const server = await startServer(ON);
    const client: FlowClient = { ...serveClient('/abuse/dots.json'), clientId: `${documents.origin}/abuse/x/../dots.json` };
    await expectPageRefusal(await server.get(authorizeUrl(server, authorizeParams(client, pkce().challenge))), client.clientId);
    expect(fetchesOf('/abuse/dots.json')).toBe(0);
  });

  it('100 concurrent lookups of different URLs from one address cause at most clientMetadataFetchPerIp fetches', async () => {
    const server = await startServer({ ...ON, protection: { ...ON.protection, rateLimits: { clientMetadataFetchPerIp: { points: 5, seconds: 60 } } } });
    const paths = Array.from({ length: 100 }, (_, i) => `/flood/${i}.json`);
    const responses = await Promise.all(
      paths.map((path) =>
        server.server.fetch(new Request(authorizeUrl(server, authorizeParams({ ...serveClient(path) }, pkce().challenge))), { remoteAddress: '203.0.113.9' }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 429)).toHaveLength(95);
    expect(paths.reduce((sum, path) => sum + fetchesOf(path), 0)).toBe(5);
    // Another address still has its own budget.
    const other = await server.server.fetch(new Request(authorizeUrl(server, authorizeParams(serveClient('/flood/other.json'), pkce().challenge))), {
      remoteAddress: '198.51.100.7',
    });
    expect(other.status).not.toBe(429);
    expect(await errorBodyOrPage(other)).not.toContain('too many');
  });
});

async function errorBodyOrPage(response: Response): Promise<string> {
  const type = response.headers.get('content-type') ?? '';
  return type.includes('json') ? JSON.stringify(await errorBody(response)) : response.text();
}
