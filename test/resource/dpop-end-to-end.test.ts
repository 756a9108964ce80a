/**
 * DPoP (RFC 9449) between Gatehouse's own three parts: the authorization server (server nonces on,
 * `tokens.dpopNonce: 'on'`), the relying-party library `gatehouse/client` (web client and machine
 * client) and the resource guard `gatehouse/resource` (its own nonces, `dpop.nonceSecret`), each
 * talking to the others over loopback HTTP as in production: Gatehouse and the API each listen on an
 * ephemeral 127.0.0.1 port, so every `htu` is the URL a real client would call. Only the user's
 * pages go through the test browser, in process.
 *
 * The API serves one route twice: `/notes` behind a guard verifying JWTs against Gatehouse's JWKS,
 * `/introspected/notes` behind a guard asking Gatehouse's introspection, which answers `cnf` (§6.2).
 */
import type { ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMachineClient,
  createMemoryTokenStore,
  createOAuthClient,
  OAuthProviderError,
  type ClientSession,
  type DPoPOptions,
  type OAuthClient,
  type TokenStore,
} from '../../src/client/index.js';
import { createResourceGuard, requireToken, type ResourceGuard } from '../../src/resource/index.js';
import { CookieJar } from '../fakes/browser.js';
import { APP_REDIRECT, Browser, pageKind, registerFlowClient, seedUsers, submitLogin, type FlowClient, type TestUser } from '../helpers/flow.js';
import { API, closeServer, listen, startIssuer, type RunningIssuer } from './support.js';

const RP_SECRET = 'r'.repeat(40);
const API_NONCE_SECRET = 'api-dpop-nonce-secret-0123456789abcdef';
const SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/** A request a client library made, as seen on the wire: its path, whether its proof had a nonce, the status. */
interface Sent {
  path: string;
  nonce: boolean;
  status: number;
}

let as: RunningIssuer;
let alice: TestUser;
let api: ServerType;
let apiUrl: string;
const sent: Sent[] = [];

/** `fetch` for the client libraries: the network, with every request recorded in {@link sent}. */
const recordingFetch: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const proof = request.headers.get('dpop');
  const response = await fetch(request);
  sent.push({
    path: new URL(request.url).pathname,
    nonce: proof !== null && decodeJwt(proof).nonce !== undefined,
    status: response.status,
  });
  return response;
};

/** What was sent to `path` since the last call, as `status` or `status+nonce`, and forgets it. */
function take(path: string): string[] {
  const taken = sent.filter((entry) => entry.path === path).map((entry) => `${entry.status}${entry.nonce ? '+nonce' : ''}`);
  sent.length = 0;
  return taken;
}

function guard(mode: 'jwt' | 'introspection'): ResourceGuard {
  return createResourceGuard({
    issuer: as.issuer,
    audience: API,
    allowInsecureRequests: true,
    ...(mode === 'introspection' ? { introspection: { clientId: as.resourceServer.clientId, clientSecret: as.resourceServer.clientSecret } } : {}),
    dpop: { nonceSecret: API_NONCE_SECRET },
  });
}

beforeAll(async () => {
  // Access tokens of a sign-in without `resource` are for the API and for UserInfo (aud: both).
  as = await startIssuer({ server: { tokens: { dpopNonce: 'on', defaultAudience: API } } });
  alice = (await seedUsers(as.test.store)).alice;
  const app = new Hono();
  for (const [prefix, mode] of [
    ['', 'jwt'],
    ['/introspected', 'introspection'],
  ] as const) {
    app.get(`${prefix}/notes`, requireToken(guard(mode)), (c) => {
      const token = c.var.accessToken;
      return c.json({ sub: token.sub, clientId: token.clientId, jkt: (token.claims.cnf as { jkt?: string } | undefined)?.jkt });
    });
  }
  api = await listen(app.fetch);
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (api) await closeServer(api);
  await as?.close();
});

/** Signs alice in at Gatehouse through `client` (code + PKCE, consent asked so offline_access is granted). */
async function signIn(client: OAuthClient) {
  const { url, setCookie } = await client.authorizationUrl({ prompt: 'consent' });
  const browser = new Browser(as.test);
  let page = await browser.open(url.href);
  for (let step = 0; step < 4 && !page.location; step += 1) {
    page = pageKind(page) === 'login' ? await submitLogin(browser, page, alice) : await browser.submit(page, {}, { button: 'approve' });
  }
  expect(page.location?.href).toContain(APP_REDIRECT);
  return client.handleCallback(new Request(page.location!, { headers: { cookie: setCookie.split(';')[0]! } }));
}

function webClient(registered: FlowClient, tokenStore?: TokenStore, dpop: DPoPOptions | true = true): OAuthClient {
  return createOAuthClient({
    issuer: as.issuer,
    clientId: registered.clientId,
    ...(registered.clientSecret !== null ? { clientSecret: registered.clientSecret } : {}),
    redirectUri: APP_REDIRECT,
    scopes: SCOPES,
    secret: RP_SECRET,
    allowInsecureRequests: true,
    dpop,
    fetch: recordingFetch,
    ...(tokenStore ? { tokenStore } : {}),
  });
}

/** The session with its token, but another key: what a thief who copied the token holds. */
async function stolen(session: ClientSession): Promise<ClientSession> {
  return {
    ...session,
    id: `thief-${session.id}`,
    dpop: { jkt: 'thief', keyPair: await generateKeyPair('ES256') },
    tokens: { ...session.tokens, refreshToken: undefined, expiresAt: undefined },
  };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const WRONG_KEY = 'error="invalid_token", error_description="the DPoP proof key is not the one the token is bound to"';
const BOUND_AS_BEARER = 'error="invalid_token", error_description="a DPoP-bound access token must be sent with the DPoP scheme and a proof"';

describe('gatehouse/client, Gatehouse and gatehouse/resource with DPoP and nonces on both sides', () => {
  it('the web client signs in with a bound token, reloads, refreshes, reads UserInfo and calls the guarded API; the token alone is refused', async () => {
    const registered = await registerFlowClient(as.test);
    const client = webClient(registered);
    sent.length = 0;
    const signedIn = await signIn(client);
    expect(signedIn.tokens.tokenType).toBe('dpop');
    const jkt = signedIn.session.dpop!.jkt;
    const { d: _private, ...publicJwk } = signedIn.session.dpop!.jwk!;
    expect(await calculateJwkThumbprint(publicJwk)).toBe(jkt);
    expect(decodeJwt(signedIn.tokens.accessToken)).toMatchObject({ cnf: { jkt }, aud: [API, as.issuer] });
    // The code exchange learns Gatehouse's nonce (400 use_dpop_nonce), then succeeds with it.
    expect(take('/token')).toEqual(['400', '200+nonce']);

    // A later request: the session and its key come back from the encrypted cookie.
    const session = (await client.getSession(new CookieJar().set(signedIn.setCookies).request(APP_REDIRECT)))!;
    expect(session.dpop!.jkt).toBe(jkt);
    const refreshed = await client.getAccessToken(session, { forceRefresh: true });
    expect(refreshed).not.toBe(signedIn.tokens.accessToken);
    expect(decodeJwt(refreshed).cnf).toEqual({ jkt });
    // The nonce of the last token response is used: no second round trip.
    expect(take('/token')).toEqual(['200+nonce']);

    await expect(client.fetchUserInfo(session)).resolves.toMatchObject({ sub: alice.record.id, name: 'Alice Liddell' });
    expect(take('/userinfo')).toEqual(['200+nonce']);

    // The API's own nonce: asked for once (401 use_dpop_nonce), then remembered for its origin.
    const notes = await client.fetch(session, `${apiUrl}/notes?page=2`);
    expect(notes.status).toBe(200);
    expect(await notes.json()).toEqual({ sub: alice.record.id, clientId: registered.clientId, jkt });
    expect(take('/notes')).toEqual(['401', '200+nonce']);
    expect((await client.fetch(session, `${apiUrl}/notes`)).status).toBe(200);
    expect(take('/notes')).toEqual(['200+nonce']);

    // Another instance of the app (a restart: no nonce known yet) signs with the key from the cookie.
    const restarted = webClient(registered);
    const reloaded = (await restarted.getSession(new CookieJar().set(signedIn.setCookies).request(APP_REDIRECT)))!;
    await expect(restarted.fetchUserInfo(reloaded)).resolves.toMatchObject({ sub: alice.record.id });
    expect(take('/userinfo')).toEqual(['401', '200+nonce']);

    // The token alone, as Bearer: refused by the API and by UserInfo.
    const asBearer = await fetch(`${apiUrl}/notes`, bearer(refreshed));
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toContain(`Bearer realm="api", ${BOUND_AS_BEARER}`);
    const userinfoAsBearer = await fetch(`${as.issuer}/userinfo`, bearer(refreshed));
    expect(userinfoAsBearer.status).toBe(401);
    expect(userinfoAsBearer.headers.get('www-authenticate')).toContain(`Bearer realm="gatehouse", ${BOUND_AS_BEARER}`);

    // With a valid proof of another key (nonces and all): refused by both.
    const thief = await stolen(session);
    const forged = await client.fetch(thief, `${apiUrl}/notes`);
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain(`DPoP realm="api", ${WRONG_KEY}`);
    await expect(client.fetchUserInfo(thief)).rejects.toMatchObject({
      name: 'OAuthProviderError',
      error: 'invalid_token',
      errorDescription: 'the DPoP proof key is not the one the token is bound to',
      status: 401,
    });
  });

  it('a public web client (EdDSA keys): its refresh token is bound to the session key, refreshed with it alone', async () => {
    const registered = await registerFlowClient(as.test, { authMethod: 'none' });
    const client = webClient(registered, createMemoryTokenStore(), { alg: 'EdDSA' });
    const { session } = await signIn(client);
    const jkt = session.dpop!.jkt;
    expect(session.tokens.refreshToken).toEqual(expect.any(String));
    const thief = { ...session, id: 'thief', dpop: { jkt: 'thief', keyPair: await generateKeyPair('ES256') } };
    await expect(client.getAccessToken(thief, { forceRefresh: true })).rejects.toMatchObject({
      name: 'SessionExpiredError',
      cause: { error: 'invalid_grant', errorDescription: 'the refresh token is bound to another DPoP key' },
    });
    const token = await client.getAccessToken(session, { forceRefresh: true });
    expect(decodeJwt(token).cnf).toEqual({ jkt });
    expect((await client.fetch(session, `${apiUrl}/notes`)).status).toBe(200);
  });

  it('the machine client gets a bound client_credentials token and calls the API; a client that must use DPoP refuses it without', async () => {
    const keyPair = await generateKeyPair('ES256');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    const machine = createMachineClient({
      issuer: as.issuer,
      clientId: as.machine.clientId,
      clientSecret: as.machine.clientSecret,
      scopes: ['notes:read'],
      resource: API,
      allowInsecureRequests: true,
      dpop: { keyPair },
      fetch: recordingFetch,
    });
    sent.length = 0;
    const token = await machine.getAccessToken();
    expect(decodeJwt(token)).toMatchObject({ cnf: { jkt }, aud: API, client_id: as.machine.clientId });
    expect(take('/token')).toEqual(['400', '200+nonce']);
    const response = await machine.fetch(`${apiUrl}/notes`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: as.machine.clientId, clientId: as.machine.clientId, jkt });
    expect(take('/notes')).toEqual(['401', '200+nonce']);
    expect((await fetch(`${apiUrl}/notes`, bearer(token))).status).toBe(401);

    // RFC 9449 §5.2: a client registered with dpop_bound_access_tokens gets no token without a proof.
    const bound = await as.test.register({ name: 'Bound worker', scope: 'notes:read', resources: [API], dpopBoundAccessTokens: true });
    const options = { issuer: as.issuer, clientId: bound.clientId, clientSecret: bound.clientSecret, resource: API, allowInsecureRequests: true };
    const plain = await createMachineClient(options)
      .getAccessToken()
      .catch((error: unknown) => error);
    expect(plain).toBeInstanceOf(OAuthProviderError);
    expect(plain).toMatchObject({ error: 'invalid_dpop_proof', errorDescription: 'this client must send a DPoP proof', status: 400 });
    expect((await createMachineClient({ ...options, dpop: true }).fetch(`${apiUrl}/notes`)).status).toBe(200);
  });

  it('the guard in introspection mode reads cnf from Gatehouse: the bound token works with its proof, not as Bearer nor with another key', async () => {
    const machine = createMachineClient({
      issuer: as.issuer,
      clientId: as.machine.clientId,
      clientSecret: as.machine.clientSecret,
      scopes: ['notes:read'],
      resource: API,
      allowInsecureRequests: true,
      dpop: true,
    });
    const token = await machine.getAccessToken();
    const jkt = (decodeJwt(token).cnf as { jkt: string }).jkt;
    expect(await as.test.introspect(as.resourceServer, token)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });
    const response = await machine.fetch(`${apiUrl}/introspected/notes`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: as.machine.clientId, clientId: as.machine.clientId, jkt });
    // Refused as Bearer for the cnf of the introspection answer (the guard does not require DPoP).
    const asBearer = await fetch(`${apiUrl}/introspected/notes`, bearer(token));
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toContain(BOUND_AS_BEARER);

    // A web session's token, and the same token with another key's proof.
    const client = webClient(await registerFlowClient(as.test));
    const { session } = await signIn(client);
    expect((await client.fetch(session, `${apiUrl}/introspected/notes`)).status).toBe(200);
    const forged = await client.fetch(await stolen(session), `${apiUrl}/introspected/notes`);
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain(WRONG_KEY);
  });
});
