/**
 * Client ID Metadata Documents with an independent client: openid-client v6 (panva) against a real
 * `gatehouse start` configured by its variables (GATEHOUSE_CLIENT_METADATA_DOCUMENTS and, for this
 * test only, the loopback allowances), its client_id the URL of a document a local web server
 * serves. openid-client checks discovery, `iss`, `state`, PKCE and the ID token by itself.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';
import { json, startDocumentServer, type DocumentServer } from '../helpers/document-server.js';
import { UserAgent } from '../helpers/user-agent.js';
import { addUser, authorizationRequest, signIn, type TestUser } from './interop-helpers.js';

// Nothing listens here: the browser stops at the redirect and hands the URL to openid-client.
const REDIRECT_URI = 'http://127.0.0.1:8766/callback';
const SCOPE = 'openid profile offline_access';

let ws: Workspace;
let server: RunningServer;
let documents: DocumentServer;
let alice: TestUser;

beforeAll(async () => {
  ws = createWorkspace();
  documents = await startDocumentServer('http');
  server = await startServer({
    cwd: ws.cwd,
    dataDir: ws.dataDir,
    dev: true,
    env: { GATEHOUSE_CLIENT_METADATA_DOCUMENTS: 'true', GATEHOUSE_UNSAFE_FETCH_ALLOWLIST: '127.0.0.1', GATEHOUSE_UNSAFE_FETCH_ALLOW_HTTP: 'true' },
  });
  alice = await addUser(ws, 'alice', 'Alice Liddell');
});

afterAll(async () => {
  await server?.stop();
  await killAll();
  await documents?.close();
  ws?.remove();
});

describe('openid-client with a client metadata document as its client_id', () => {
  it('discovers support, signs in with PKCE, redeems the code and refreshes, as a public client', async () => {
    const clientId = `${documents.origin}/interop/client.json`;
    documents.on(
      '/interop/client.json',
      json(
        {
          client_id: clientId,
          client_name: 'Interop Tool',
          redirect_uris: [REDIRECT_URI],
          grant_types: ['authorization_code', 'refresh_token'],
          token_endpoint_auth_method: 'none',
        },
        { 'Cache-Control': 'max-age=600' },
      ),
    );
    const config = await client.discovery(new URL(server.issuer), clientId, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    expect(config.serverMetadata().client_id_metadata_document_supported).toBe(true);

    const { url, checks } = await authorizationRequest(config, REDIRECT_URI, SCOPE);
    const { page, sawLogin, sawConsent } = await signIn(new UserAgent(), url.href, alice, (location) => location.startsWith(REDIRECT_URI));
    expect([sawLogin, sawConsent]).toEqual([true, true]);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url), checks);
    expect(tokens.claims()).toMatchObject({ iss: server.issuer, sub: alice.sub, aud: clientId, nonce: checks.expectedNonce });
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    // One fetch served the authorization request, the consent page and both token requests (max-age=600).
    expect(documents.received.filter((request) => request.path === '/interop/client.json')).toHaveLength(1);
  });
});
