/**
 * The whole browser sign-in flow against a real, listening `gatehouse start`, driven by the
 * independent client library openid-client v6 (panva) and a text-only browser. openid-client checks
 * by itself: discovery (issuer match), the RFC 9207 `iss` and `state` of the authorization
 * response, PKCE, the token response, and the ID token (signature against the JWKS, iss, aud, exp,
 * iat, nonce). So a deviation our own client would share is caught here.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';
import { parseForms, UserAgent } from '../helpers/user-agent.js';
import { addClient, addUser, authorizationRequest as openidAuthorizationRequest, signIn, type RegisteredClient, type TestUser } from './interop-helpers.js';

// Nothing listens at these: the browser stops at the redirect and hands the URL to openid-client.
const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
const POST_LOGOUT_REDIRECT_URI = 'http://127.0.0.1:8765/signed-out';
const SCOPE = 'openid profile email offline_access';

let ws: Workspace;
let server: RunningServer;
let alice: TestUser;

beforeAll(async () => {
  ws = createWorkspace();
  server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true });
  alice = await addUser(ws, 'alice', 'Alice Liddell');
});

afterAll(async () => {
  await server?.stop();
  await killAll();
  ws?.remove();
});

const atRedirectUri = (location: string) => location.startsWith(REDIRECT_URI);

/** An authorization request with PKCE (S256), state and nonce, as openid-client builds it. */
const authorizationRequest = (config: client.Configuration, extra: Record<string, string> = {}) =>
  openidAuthorizationRequest(config, REDIRECT_URI, SCOPE, extra);

function discover(registered: RegisteredClient): Promise<client.Configuration> {
  const auth = registered.clientSecret === undefined ? client.None() : client.ClientSecretBasic(registered.clientSecret);
  // Plain http is fine here: the server listens on loopback only.
  return client.discovery(new URL(server.issuer), registered.clientId, registered.clientSecret, auth, { execute: [client.allowInsecureRequests] });
}

describe('openid-client: confidential client (client_secret_basic), query response mode', () => {
  let registered: RegisteredClient;
  let config: client.Configuration;
  const browser = new UserAgent();
  let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

  beforeAll(async () => {
    registered = await addClient(ws, { name: 'openid-client RP', redirectUri: REDIRECT_URI, postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI });
    config = await discover(registered);
  });

  it('discovers the provider', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.issuer);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.code_challenge_methods_supported).toContain('S256');
    expect(metadata.response_modes_supported).toEqual(expect.arrayContaining(['query', 'form_post']));
    expect(metadata.end_session_endpoint).toEqual(expect.any(String));
  });

  it('signs in with PKCE, state and nonce: login, consent, code exchange, validated ID token', async () => {
    const { url, checks } = await authorizationRequest(config);
    const { page, sawLogin, sawConsent } = await signIn(browser, url.href, alice, atRedirectUri);
    expect(sawLogin).toBe(true);
    expect(sawConsent).toBe(true);
    const callback = new URL(page.url);
    expect(callback.searchParams.get('iss')).toBe(server.issuer);
    expect(callback.searchParams.get('state')).toBe(checks.expectedState);

    tokens = await client.authorizationCodeGrant(config, callback, checks);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.id_token).toEqual(expect.any(String));
    expect(tokens.scope?.split(' ').sort()).toEqual(SCOPE.split(' ').sort());
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: server.issuer, sub: alice.sub, aud: registered.clientId, nonce: checks.expectedNonce });
  });

  it('fetches the user info of the ID token subject', async () => {
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, alice.sub);
    expect(userinfo).toMatchObject({ sub: alice.sub, name: alice.name, email: alice.email, email_verified: true });
  });

  it('refreshes the tokens, rotating the refresh token', async () => {
    const first = tokens;
    const refreshed = await client.refreshTokenGrant(config, first.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));
    expect(refreshed.access_token).not.toBe(first.access_token);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);
    if (refreshed.id_token !== undefined) expect(refreshed.claims()).toMatchObject({ sub: alice.sub, aud: registered.clientId });
    const userinfo = await client.fetchUserInfo(config, refreshed.access_token, alice.sub);
    expect(userinfo.email).toBe(alice.email);
    tokens = Object.assign(refreshed, { id_token: refreshed.id_token ?? first.id_token });
  });

  it('revokes the access token: introspection then says inactive', async () => {
    const before = await client.tokenIntrospection(config, tokens.access_token);
    expect(before).toMatchObject({ active: true, client_id: registered.clientId, sub: alice.sub });
    await client.tokenRevocation(config, tokens.access_token);
    const after = await client.tokenIntrospection(config, tokens.access_token);
    expect(after.active).toBe(false);
    await expect(client.fetchUserInfo(config, tokens.access_token, alice.sub)).rejects.toThrow();
  });

  it('signs in again in the same browser without login or consent (SSO, remembered consent)', async () => {
    const { url, checks } = await authorizationRequest(config);
    const { page, sawLogin, sawConsent, locations } = await signIn(browser, url.href, alice, atRedirectUri);
    expect(sawLogin).toBe(false);
    expect(sawConsent).toBe(false);
    expect(locations.filter((location) => location.includes('/interaction/'))).toEqual([]);
    const again = await client.authorizationCodeGrant(config, new URL(page.url), checks);
    expect(again.claims()).toMatchObject({ sub: alice.sub, nonce: checks.expectedNonce });
    tokens = again;
  });

  it('signs out (RP-initiated logout) back to the registered URI, then prompt=none says login_required', async () => {
    const state = client.randomState();
    const logoutUrl = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
      state,
    });
    const signedOut = await browser.open(logoutUrl.href, {}, (location) => location.startsWith(POST_LOGOUT_REDIRECT_URI));
    expect(signedOut.status).toBe(303);
    const landed = new URL(signedOut.url);
    expect(`${landed.origin}${landed.pathname}`).toBe(POST_LOGOUT_REDIRECT_URI);
    expect(landed.searchParams.get('state')).toBe(state);

    const { url, checks } = await authorizationRequest(config, { prompt: 'none' });
    const { page, sawLogin, sawConsent } = await signIn(browser, url.href, alice, atRedirectUri);
    expect(sawLogin || sawConsent).toBe(false);
    const failure = await client.authorizationCodeGrant(config, new URL(page.url), checks).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(client.AuthorizationResponseError);
    expect((failure as client.AuthorizationResponseError).error).toBe('login_required');
  });
});

describe('openid-client: public client (none) with PKCE', () => {
  it('signs in, reads user info, refreshes with rotation and revokes its access token', async () => {
    const registered = await addClient(ws, { name: 'openid-client public RP', redirectUri: REDIRECT_URI, authMethod: 'none' });
    expect(registered.clientSecret).toBeUndefined();
    const config = await discover(registered);
    const browser = new UserAgent();

    const { url, checks } = await authorizationRequest(config);
    const { page, sawLogin, sawConsent } = await signIn(browser, url.href, alice, atRedirectUri);
    expect([sawLogin, sawConsent]).toEqual([true, true]);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url), checks);
    expect(tokens.claims()).toMatchObject({ iss: server.issuer, sub: alice.sub, aud: registered.clientId, nonce: checks.expectedNonce });

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, alice.sub);
    expect(userinfo).toMatchObject({ name: alice.name, email: alice.email });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    // RFC 7009 §2.1: a public client revokes its own tokens by sending its client_id. A public
    // client may not introspect (RFC 7662 §2.1), so the effect is seen at the UserInfo endpoint.
    await client.fetchUserInfo(config, refreshed.access_token, alice.sub);
    await client.tokenRevocation(config, refreshed.access_token, { token_type_hint: 'access_token' });
    await expect(client.fetchUserInfo(config, refreshed.access_token, alice.sub)).rejects.toThrow();
  });
});

describe.each([
  { kind: 'confidential (client_secret_basic)', authMethod: 'client_secret_basic' as const },
  { kind: 'public (none)', authMethod: 'none' as const },
])('openid-client: refresh token revocation, $kind client', ({ kind, authMethod }) => {
  // RFC 7009 §2: "Implementations MUST support the revocation of refresh tokens".
  it('revokes a refresh token: it can no longer be used', async () => {
    const registered = await addClient(ws, { name: `openid-client ${kind} revoking RP`, redirectUri: REDIRECT_URI, authMethod });
    const config = await discover(registered);
    const { url, checks } = await authorizationRequest(config);
    const { page } = await signIn(new UserAgent(), url.href, alice, atRedirectUri);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url), checks);

    await client.tokenRevocation(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    let failure: unknown;
    try {
      await client.refreshTokenGrant(config, tokens.refresh_token!);
    } catch (error) {
      failure = error;
    }
    expect(failure, 'the token endpoint still accepted the revoked refresh token (RFC 7009 §2)').toBeInstanceOf(client.ResponseBodyError);
    expect((failure as client.ResponseBodyError).error).toBe('invalid_grant');
  });
});

describe('openid-client: response_mode=form_post', () => {
  it('delivers the code in an auto-submitting form that openid-client accepts as a POST Request', async () => {
    const registered = await addClient(ws, { name: 'openid-client form_post RP', redirectUri: REDIRECT_URI });
    const config = await discover(registered);
    const browser = new UserAgent();

    const { url, checks } = await authorizationRequest(config, { response_mode: 'form_post' });
    const { page, sawLogin, sawConsent } = await signIn(browser, url.href, alice, atRedirectUri);
    expect([sawLogin, sawConsent]).toEqual([true, true]);
    expect(page.status).toBe(200);
    const forms = parseForms(page.body);
    expect(forms).toHaveLength(1);
    const [form] = forms;
    expect(form!.method).toBe('post');
    expect(form!.action).toBe(REDIRECT_URI);
    expect(form!.fields).toMatchObject({ code: expect.any(String), state: checks.expectedState, iss: server.issuer });
    expect(form!.fields).not.toHaveProperty('error');

    // What the browser would POST to the redirect URI, as the RP's web framework receives it.
    const callback = new Request(form!.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form!.fields).toString(),
    });
    const tokens = await client.authorizationCodeGrant(config, callback, checks);
    expect(tokens.claims()).toMatchObject({ iss: server.issuer, sub: alice.sub, aud: registered.clientId, nonce: checks.expectedNonce });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, alice.sub);
    expect(userinfo).toMatchObject({ name: alice.name, email: alice.email });
  });
});
