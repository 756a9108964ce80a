/**
 * The MCP SDK's own client (`@modelcontextprotocol/sdk`, its OAuth provider and streamable HTTP
 * transport) against examples/mcp-server, protected by `gatehouse/resource`, with a real
 * `gatehouse start` as its authorization server and the user signing in through Gatehouse's real
 * pages in headless Chromium. The client is told nothing but the MCP server's URL: the first call
 * gets `401` with `resource_metadata` (RFC 9728 §5.1), the client reads the protected-resource
 * metadata and the authorization server's (RFC 8414), obtains a client id (registered by the
 * operator; by dynamic registration, RFC 7591; or a Client ID Metadata Document the test serves
 * over https), runs authorization code + PKCE with `resource` (RFC 8707), and then the tool call
 * succeeds. A token for another resource is refused by the MCP server.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpExample, MCP_SCOPE } from '../../examples/mcp-server/server.js';
import { hasChromium, launchChromium } from '../browser/chromium.js';
import { basicAuth, createWorkspace, killAll, parseJson, runCliOk, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';
import { json, startDocumentServer, type DocumentServer } from '../helpers/document-server.js';
import { addUser, type TestUser } from './interop-helpers.js';

/** Where the MCP client's browser comes back; nothing listens: Chromium's request is caught there. */
const REDIRECT_URI = 'http://127.0.0.1:8766/callback';

let ws: Workspace;
let gatehouse: RunningServer;
let alice: TestUser;
let browser: Browser;
let mcp: { server: Server; url: string };
/** Serves the client metadata document, over https with a certificate Gatehouse is told to trust. */
let documents: DocumentServer;

/** Serves the MCP example on a free loopback port; its URL is its resource identifier. */
async function startMcpServer(issuer: string): Promise<{ server: Server; url: string }> {
  let handle: (request: Request) => Promise<Response> = () => Promise.resolve(new Response(null, { status: 503 }));
  const listener = getRequestListener((request) => handle(request));
  const server = createServer((request, response) => void listener(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  handle = createMcpExample({ issuer, url, allowInsecureRequests: true }).fetch;
  return { server, url };
}

const cli = (args: string[]) => runCliOk([...args, '--json', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });

beforeAll(async () => {
  ws = createWorkspace();
  documents = await startDocumentServer('https');
  const ca = `${ws.cwd}/documents-ca.pem`;
  writeFileSync(ca, documents.ca!);
  gatehouse = await startServer({
    cwd: ws.cwd,
    dataDir: ws.dataDir,
    dev: true,
    env: {
      GATEHOUSE_SCOPES: MCP_SCOPE,
      // MCP clients register themselves: public native clients openly (RFC 7591), or by a metadata document.
      GATEHOUSE_REGISTRATION: 'open',
      GATEHOUSE_CLIENT_METADATA_DOCUMENTS: 'true',
      // The document server is on loopback, which the fetcher refuses unless told otherwise (tests only).
      GATEHOUSE_UNSAFE_FETCH_ALLOWLIST: '127.0.0.1/32',
      NODE_EXTRA_CA_CERTS: ca,
    },
  });
  alice = await addUser(ws, 'alice', 'Alice Liddell');
  mcp = await startMcpServer(gatehouse.issuer);
  // Gatehouse knows the MCP server's resource: it serves it.
  await cli(['clients', 'add', '--name', 'MCP example', '--resource-server', '--serves', mcp.url]);
  if (hasChromium) browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await documents?.close();
  await new Promise((resolve) => mcp?.server.close(resolve));
  await gatehouse?.stop();
  await killAll();
  ws?.remove();
});

/**
 * The MCP SDK's OAuth client provider, as an MCP client implements it: it keeps what the SDK hands
 * it, and "opens the browser" by recording the authorization URL.
 */
class TestProvider implements OAuthClientProvider {
  information: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;
  readonly clientMetadataUrl: string | undefined;

  constructor(options: { information?: OAuthClientInformationMixed; clientMetadataUrl?: string } = {}) {
    this.information = options.information;
    this.clientMetadataUrl = options.clientMetadataUrl;
  }
  get redirectUrl(): string {
    return REDIRECT_URI;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'MCP SDK test client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: MCP_SCOPE,
    };
  }
  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed): void {
    this.information = information;
  }
  tokens(): OAuthTokens | undefined {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }
  codeVerifier(): string {
    return this.verifier;
  }
}

/**
 * Alice signs in and allows access on Gatehouse's pages in Chromium; returns the code the redirect
 * carries. `unverified`: the consent page marks the client as registered by itself.
 */
async function signInInChromium(authorizationUrl: URL, expectedResource: string, unverified: boolean): Promise<string> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    let callback: URL | undefined;
    await page.route(`${REDIRECT_URI}**`, async (route) => {
      callback = new URL(route.request().url());
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'You can close this window.' });
    });
    await page.goto(authorizationUrl.href);
    await page.getByLabel('Username or email').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // The consent page names the resource the access is for.
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    expect(await page.locator('.resource').allTextContents()).toEqual([expectedResource]);
    expect(await page.getByText('Unverified', { exact: true }).count()).toBe(unverified ? 1 : 0);
    await page.getByRole('button', { name: 'Allow' }).click();
    await expect.poll(() => callback, { timeout: 15_000 }).toBeDefined();
    expect(callback!.searchParams.get('iss')).toBe(gatehouse.issuer);
    const code = callback!.searchParams.get('code');
    if (code === null) throw new Error(`no code in ${callback!.href}`);
    return code;
  } finally {
    await context.close();
  }
}

/**
 * The MCP client's whole journey: connect (401, discovery, a client id, the authorization URL),
 * the user signs in, `finishAuth` redeems the code, and a new connection calls the tool.
 */
async function connectAndCallTool(provider: TestProvider, unverified = true): Promise<string> {
  const first = new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider });
  await expect(new Client({ name: 'mcp-sdk-test', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
  const url = provider.authorizationUrl!;
  expect(url.origin + url.pathname).toBe(`${gatehouse.issuer}/authorize`);
  expect(url.searchParams.get('resource')).toBe(mcp.url);
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  await first.finishAuth(await signInInChromium(url, mcp.url, unverified));
  await first.close();

  const client = new Client({ name: 'mcp-sdk-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider }));
  try {
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['whoami']);
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    const [content] = result.content as { type: string; text: string }[];
    return content!.text;
  } finally {
    await client.close();
  }
}

describe.skipIf(!hasChromium)('the MCP SDK client against an MCP server protected by gatehouse/resource', () => {
  it('with a client registered by the operator: 401 → metadata → sign-in with resource → the tool call succeeds', async () => {
    const registered = parseJson<{ client_id: string }>(
      await cli(['clients', 'add', '--name', 'MCP client', '--redirect-uri', REDIRECT_URI, '--auth-method', 'none', '--scope', `${MCP_SCOPE} offline_access`]),
    );
    const provider = new TestProvider({ information: { client_id: registered.client_id } });
    const text = await connectAndCallTool(provider, false);
    expect(text).toBe(`Signed in as ${alice.sub} through client ${registered.client_id} with scopes ${MCP_SCOPE}`);
    // The token is for the MCP server, and only for it.
    const [, payload] = provider.saved!.access_token.split('.');
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toMatchObject({ aud: mcp.url, sub: alice.sub });
  }, 60_000);

  it('registering itself (RFC 7591): discovery gives registration_endpoint, and the client it registered signs in', async () => {
    const provider = new TestProvider();
    const text = await connectAndCallTool(provider);
    const clientId = provider.information!.client_id;
    expect(clientId).toEqual(expect.any(String));
    expect(text).toBe(`Signed in as ${alice.sub} through client ${clientId} with scopes ${MCP_SCOPE}`);
    // Gatehouse keeps it as a registered client, registered openly.
    const shown = parseJson<{ registration: { via: string } }>(await cli(['clients', 'show', clientId]));
    expect(shown.registration.via).toBe('open');
  }, 60_000);

  it('with a Client ID Metadata Document: the client id is the document URL, fetched by Gatehouse', async () => {
    const documentUrl = `${documents.origin}/mcp-client.json`;
    documents.on(
      '/mcp-client.json',
      json(
        {
          client_id: documentUrl,
          client_name: 'MCP SDK test client (metadata document)',
          redirect_uris: [REDIRECT_URI],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
          scope: MCP_SCOPE,
        },
        { 'Cache-Control': 'max-age=300' },
      ),
    );
    const provider = new TestProvider({ clientMetadataUrl: documentUrl });
    const text = await connectAndCallTool(provider);
    expect(provider.information!.client_id).toBe(documentUrl);
    expect(text).toBe(`Signed in as ${alice.sub} through client ${documentUrl} with scopes ${MCP_SCOPE}`);
    expect(documents.received.filter((request) => request.path === '/mcp-client.json').length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('refuses a token for another resource, and one without the scope', async () => {
    const service = parseJson<{ client_id: string; client_secret: string }>(
      await cli(['clients', 'add', '--name', 'A service', '--grant', 'client_credentials', '--scope', `${MCP_SCOPE} other`]),
    );
    const token = async (fields: Record<string, string>) => {
      const response = await fetch(`${gatehouse.issuer}/token`, {
        method: 'POST',
        headers: { Authorization: basicAuth(service.client_id, service.client_secret), 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...fields }),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const call = (accessToken: string) =>
      fetch(mcp.url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    // A token for Gatehouse itself (the default audience), not for the MCP server.
    const forIssuer = await call(await token({ scope: MCP_SCOPE }));
    expect(forIssuer.status).toBe(401);
    expect(forIssuer.headers.get('www-authenticate')).toMatch(/error="invalid_token".*resource_metadata="/);
    // For the MCP server, without its scope.
    const unscoped = await call(await token({ scope: 'other', resource: mcp.url }));
    expect(unscoped.status).toBe(403);
    expect(unscoped.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    // For the MCP server, with its scope: the same call succeeds.
    expect((await call(await token({ scope: MCP_SCOPE, resource: mcp.url }))).status).toBe(200);
  }, 60_000);
});
