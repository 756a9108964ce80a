/**
 * Dynamic client registration against a real, listening `gatehouse start`
 * (`GATEHOUSE_REGISTRATION=open`), driven by the independent client library openid-client v6:
 * `dynamicClientRegistration` registers a public native client (open registration) and a
 * confidential one (with an initial access token from `gatehouse registration tokens create`),
 * each then signs in with the authorization code flow and PKCE through the pages, and the
 * registration is read, updated and deleted through RFC 7592 with its registration access token.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, runCliOk, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';
import { UserAgent } from '../helpers/user-agent.js';
import { addUser, authorizationRequest, signIn, type TestUser } from './interop-helpers.js';

// Nothing listens at these: the browser stops at the redirect and hands the URL to openid-client.
const NATIVE_REDIRECT_URI = 'http://127.0.0.1:8765/callback';
const WEB_REDIRECT_URI = 'https://rp.example/callback';
const SCOPE = 'openid profile email';

let ws: Workspace;
let server: RunningServer;
let alice: TestUser;

beforeAll(async () => {
  ws = createWorkspace();
  server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true, env: { GATEHOUSE_REGISTRATION: 'open' } });
  alice = await addUser(ws, 'alice', 'Alice Liddell');
});

afterAll(async () => {
  await server?.stop();
  await killAll();
  ws?.remove();
});

/** Signs `alice` in through the pages with PKCE, state and nonce; the code redeemed by openid-client. */
async function signInWith(config: client.Configuration, redirectUri: string) {
  const { url, checks } = await authorizationRequest(config, redirectUri, SCOPE);
  const { page, sawLogin, sawConsent } = await signIn(new UserAgent(), url.href, alice, (location) => location.startsWith(redirectUri));
  expect([sawLogin, sawConsent]).toEqual([true, true]);
  const tokens = await client.authorizationCodeGrant(config, new URL(page.url), checks);
  expect(tokens.claims()).toMatchObject({ iss: server.issuer, sub: alice.sub, aud: config.clientMetadata().client_id, nonce: checks.expectedNonce });
  return tokens;
}

/** A request to the client configuration endpoint (RFC 7592) with the registration access token. */
function manage(metadata: client.ClientMetadata, method: string, body?: unknown): Promise<Response> {
  return fetch(metadata.registration_client_uri as string, {
    method,
    headers: { authorization: `Bearer ${metadata.registration_access_token as string}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

describe('openid-client dynamicClientRegistration: a public native client, open registration', () => {
  let config: client.Configuration;

  it('discovers the registration endpoint and registers', async () => {
    config = await client.dynamicClientRegistration(
      new URL(server.issuer),
      { client_name: 'Native notes', redirect_uris: [NATIVE_REDIRECT_URI], token_endpoint_auth_method: 'none', application_type: 'native' },
      client.None(),
      { execute: [client.allowInsecureRequests] },
    );
    expect(config.serverMetadata().registration_endpoint).toBe(`${server.issuer}/register`);
    const metadata = config.clientMetadata();
    expect(metadata).toMatchObject({ client_name: 'Native notes', token_endpoint_auth_method: 'none', application_type: 'native' });
    expect(metadata.client_secret).toBeUndefined();
    expect(metadata.registration_access_token).toEqual(expect.any(String));
  });

  it('signs in with the authorization code flow and PKCE', async () => {
    const tokens = await signInWith(config, NATIVE_REDIRECT_URI);
    expect(tokens.access_token).toEqual(expect.any(String));
  });

  it('reads, updates and deletes its registration (RFC 7592)', async () => {
    const metadata = config.clientMetadata();
    const read = await manage(metadata, 'GET');
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: metadata.client_id, client_name: 'Native notes', redirect_uris: [NATIVE_REDIRECT_URI] });

    const updated = await manage(metadata, 'PUT', {
      client_id: metadata.client_id,
      client_name: 'Native notes 2',
      redirect_uris: [NATIVE_REDIRECT_URI, 'com.example.notes:/callback'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ client_name: 'Native notes 2', redirect_uris: [NATIVE_REDIRECT_URI, 'com.example.notes:/callback'] });

    expect((await manage(metadata, 'DELETE')).status).toBe(204);
    expect((await manage(metadata, 'GET')).status).toBe(401);
  });
});

describe('openid-client dynamicClientRegistration: a confidential client with an initial access token', () => {
  let config: client.Configuration;

  it('is refused without the token (open registration admits public native clients only)', async () => {
    await expect(
      client.dynamicClientRegistration(new URL(server.issuer), { client_name: 'Web RP', redirect_uris: [WEB_REDIRECT_URI] }, undefined, {
        execute: [client.allowInsecureRequests],
      }),
    ).rejects.toMatchObject({ error: 'invalid_client_metadata' });
  });

  it('registers with a token from `gatehouse registration tokens create`, gets a secret, and signs in', async () => {
    const created = await runCliOk(['registration', 'tokens', 'create', '--client-type', 'confidential', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
    const initialAccessToken = created.stdout.trim();
    config = await client.dynamicClientRegistration(
      new URL(server.issuer),
      { client_name: 'Web RP', redirect_uris: [WEB_REDIRECT_URI], token_endpoint_auth_method: 'client_secret_basic' },
      undefined,
      { initialAccessToken, execute: [client.allowInsecureRequests] },
    );
    const metadata = config.clientMetadata();
    expect(metadata).toMatchObject({ client_secret_expires_at: 0, token_endpoint_auth_method: 'client_secret_basic' });
    expect(metadata.client_secret).toEqual(expect.any(String));
    // openid-client authenticates with client_secret_post by default after registration; ask for the registered method.
    const basic = new client.Configuration(config.serverMetadata(), metadata.client_id, metadata, client.ClientSecretBasic(metadata.client_secret));
    client.allowInsecureRequests(basic);
    const tokens = await signInWith(basic, WEB_REDIRECT_URI);
    // Introspection of its own token by a confidential client works.
    expect(await client.tokenIntrospection(basic, tokens.access_token)).toMatchObject({ active: true, client_id: metadata.client_id, sub: alice.sub });
  });
});
