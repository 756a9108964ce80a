/**
 * Every row of the Errors tables in docs/client.md, over real HTTP: Gatehouse's own authorization
 * server listening on loopback (its token endpoint answers `401 invalid_client` with a
 * `Basic realm` challenge that has no `error`, and the error in the JSON body), and the fake Google
 * for what another provider does (error redirects with a description, HTML 500 pages, bare
 * challenges, broken ID tokens). The client must say what the server said: its `error`,
 * `error_description` and HTTP status (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createMachineClient,
  createOAuthClient,
  gatehouse,
  google,
  OAuthProviderError,
  OAuthValidationError,
  SessionExpiredError,
  type ClientSession,
  type OAuthClient,
  type OAuthClientOptions,
  type ValidationFailure,
} from '../../../src/client/index.js';
import { SecretKeys } from '../../../src/core/secret.js';
import { registerClient, type NewClientInput } from '../../../src/server/admin/clients.js';
import { createUser } from '../../../src/server/admin/users.js';
import { createAuthorizationServer, type AuthorizationServer } from '../../../src/server/authorization-server.js';
import type { Store } from '../../../src/stores/contract.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { callbackRequest, providerRedirect } from '../../fakes/browser.js';
import { startFakeGoogle, type FakeGoogle } from '../../fakes/fake-google.js';
import { freePort } from '../../helpers/ports.js';
import { basic } from '../../helpers/server.js';
import { parseForms, UserAgent, type Page } from '../../helpers/user-agent.js';
import { serveLate, type Listening } from '../glue/journey.js';

const SERVER_SECRET = 'e'.repeat(40);
const SESSION_SECRET = 'k'.repeat(40);
const APP = 'http://127.0.0.1:5999';
const REDIRECT_URI = `${APP}/authorize`;
const ALICE = { username: 'alice', email: 'alice@example.com', name: 'Alice Liddell', password: 'alice-password-1' };

let listening: Listening;
let server: AuthorizationServer;
let store: Store;
let issuer: string;
let fake: FakeGoogle;

beforeAll(async () => {
  const late = await serveLate();
  listening = late;
  issuer = late.origin;
  store = createMemoryStore();
  server = createAuthorizationServer({ issuer, store, secret: SERVER_SECRET, logger: false });
  await server.ready();
  late.handle((request) => server.fetch(request));
  await createUser(store, { ...ALICE, emailVerified: true }, Date.now());
  fake = await startFakeGoogle({ redirectUris: [REDIRECT_URI] });
});

afterAll(async () => {
  await fake?.close();
  await server?.close();
  await listening?.close();
});

afterEach(() => {
  fake.misbehave = {};
});

async function register(input: Partial<NewClientInput>): Promise<{ clientId: string; clientSecret: string }> {
  const { client, clientSecret } = await registerClient(store, new SecretKeys(SERVER_SECRET), { name: 'Errors table', ...input }, Date.now());
  return { clientId: client.clientId, clientSecret: clientSecret! };
}

const machineApp = () => register({ grantTypes: ['client_credentials'], scope: 'notes:read' });
const webApp = (input: Partial<NewClientInput> = {}) => register({ redirectUris: [REDIRECT_URI], ...input });

function webClient(credentials: { clientId: string; clientSecret: string }, overrides: Partial<OAuthClientOptions> = {}): OAuthClient {
  return createOAuthClient({
    provider: gatehouse(issuer),
    ...credentials,
    redirectUri: REDIRECT_URI,
    secret: SESSION_SECRET,
    allowInsecureRequests: true,
    ...overrides,
  });
}

function googleClient(overrides: Partial<OAuthClientOptions> = {}): OAuthClient {
  return createOAuthClient({
    provider: google({ issuer: fake.issuer, offline: true }),
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    redirectUri: REDIRECT_URI,
    secret: SESSION_SECRET,
    allowInsecureRequests: true,
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => expect.fail(`expected a failure, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
}

async function providerError(promise: Promise<unknown>): Promise<OAuthProviderError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(OAuthProviderError);
  expect(error).toMatchObject({ code: 'ERR_OAUTH_PROVIDER', name: 'OAuthProviderError' });
  return error as OAuthProviderError;
}

async function validationError(promise: Promise<unknown>, reason: ValidationFailure): Promise<OAuthValidationError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(OAuthValidationError);
  expect(error).toMatchObject({ code: 'ERR_OAUTH_VALIDATION', reason });
  return error as OAuthValidationError;
}

/** What Gatehouse's token endpoint answers to these credentials, read directly: the client must pass it on. */
async function tokenEndpointSays(init: {
  headers?: Record<string, string>;
  form: Record<string, string>;
}): Promise<{ status: number; error: string; error_description: string }> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...init.headers },
    body: new URLSearchParams(init.form),
  });
  const body = (await response.json()) as { error: string; error_description: string };
  return { status: response.status, ...body };
}

/**
 * A browser's sign-in at Gatehouse: the authorization URL, alice's password, and the consent
 * `decision`; returns the callback URL Gatehouse redirects to and the sign-in cookie.
 */
async function browserSignIn(client: OAuthClient, decision: 'approve' | 'deny' = 'approve'): Promise<{ callback: string; setCookie: string }> {
  const { url, setCookie } = await client.authorizationUrl();
  const ua = new UserAgent();
  const atApp = (location: string) => location.startsWith(`${APP}/`);
  let page: Page = await ua.open(url.href, {}, atApp);
  if (parseForms(page.body).some((form) => form.action.endsWith('/login'))) {
    page = await ua.submit(page, { username: ALICE.username, password: ALICE.password }, { actionPart: '/login', stopAt: atApp });
  }
  if (parseForms(page.body).some((form) => form.action.endsWith('/consent'))) {
    page = await ua.submit(page, {}, { actionPart: '/consent', button: { name: 'decision', value: decision }, stopAt: atApp });
  }
  expect(page.url.startsWith(REDIRECT_URI), `${page.status} ${page.url} ${page.body.slice(0, 300)}`).toBe(true);
  return { callback: page.url, setCookie };
}

/** Where the provider sends the browser (302 or 303) when it answers at once, without a page. */
async function redirectOf(url: URL): Promise<string> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  expect([302, 303], `${response.status} ${await response.text()}`).toContain(response.status);
  return new URL(location!, url).href;
}

/** A sign-in at the fake Google up to the callback, with whatever it was told to misbehave. */
async function googleCallback(client: OAuthClient): Promise<unknown> {
  const { url, setCookie } = await client.authorizationUrl();
  return client.handleCallback(callbackRequest(await providerRedirect(url), [setCookie]));
}

/** The callback a browser would bring back for a made-up code: enough to reach the token endpoint. */
async function callbackWithCode(client: OAuthClient, code: string): Promise<Request> {
  const { url, setCookie } = await client.authorizationUrl();
  const callback = new URL(REDIRECT_URI);
  callback.searchParams.set('code', code);
  callback.searchParams.set('state', url.searchParams.get('state')!);
  callback.searchParams.set('iss', issuer);
  return callbackRequest(callback.href, [setCookie]);
}

async function signedInAtGatehouse(client: OAuthClient): Promise<ClientSession> {
  const { callback, setCookie } = await browserSignIn(client);
  return (await client.handleCallback(callbackRequest(callback, [setCookie]))).session;
}

async function signedInAtGoogle(client: OAuthClient): Promise<ClientSession> {
  const { url, setCookie } = await client.authorizationUrl();
  return (await client.handleCallback(callbackRequest(await providerRedirect(url), [setCookie]))).session;
}

describe('OAuthProviderError: the provider answered with an OAuth error', () => {
  describe('invalid_client from Gatehouse (401, a Basic challenge without error, the error in the JSON body)', () => {
    it("machine client, wrong secret: error, description and status are the server's", async () => {
      const app = await machineApp();
      const said = await tokenEndpointSays({ headers: { authorization: basic(app.clientId, 'not-the-secret') }, form: { grant_type: 'client_credentials' } });
      expect(said).toMatchObject({ status: 401, error: 'invalid_client' });
      const machine = createMachineClient({ issuer, ...app, clientSecret: 'not-the-secret', allowInsecureRequests: true });
      const error = await providerError(machine.getAccessToken());
      expect(error).toMatchObject({ error: 'invalid_client', errorDescription: said.error_description, status: 401 });
      expect(error.message).toBe(`the provider answered invalid_client (HTTP 401): ${said.error_description}`);
    });

    it('machine client, client_secret_post against a client_secret_basic registration', async () => {
      const app = await machineApp();
      const machine = createMachineClient({ issuer, ...app, clientAuthMethod: 'client_secret_post', allowInsecureRequests: true });
      const error = await providerError(machine.getAccessToken());
      expect(error).toMatchObject({ error: 'invalid_client', errorDescription: expect.stringMatching(/\S/), status: 401 });
    });

    it('machine client, client_secret_basic against a client_secret_post registration', async () => {
      const app = await register({ grantTypes: ['client_credentials'], scope: 'notes:read', authMethod: 'client_secret_post' });
      const machine = createMachineClient({ issuer, ...app, allowInsecureRequests: true });
      await expect(machine.getAccessToken()).rejects.toMatchObject({ error: 'invalid_client', status: 401 });
      // The same client with the method it was registered for gets its token.
      const right = createMachineClient({ issuer, ...app, clientAuthMethod: 'client_secret_post', allowInsecureRequests: true });
      expect(await right.getAccessToken()).toEqual(expect.any(String));
    });

    it('machine client, unknown client id', async () => {
      const machine = createMachineClient({ issuer, clientId: 'no-such-client', clientSecret: 'whatever', allowInsecureRequests: true });
      const error = await providerError(machine.getAccessToken());
      expect(error).toMatchObject({ error: 'invalid_client', errorDescription: expect.stringMatching(/\S/), status: 401 });
    });

    it("web client, wrong secret: the code exchange after a real sign-in fails with the server's error; the sign-in cookie is cleared", async () => {
      const app = await webApp();
      const wrong = webClient({ ...app, clientSecret: 'not-the-secret' });
      const { callback, setCookie } = await browserSignIn(wrong);
      const error = await providerError(wrong.handleCallback(callbackRequest(callback, [setCookie])));
      expect(error).toMatchObject({ error: 'invalid_client', errorDescription: expect.stringMatching(/\S/), status: 401 });
      expect(error.setCookies).toEqual([expect.stringMatching(/^gh_tx_[^=]+=;.*Max-Age=0/i)]);
    });

    it('web client, client_secret_post against a client_secret_basic registration', async () => {
      const app = await webApp();
      const client = webClient(app, { clientAuthMethod: 'client_secret_post' });
      const error = await providerError(client.handleCallback(await callbackWithCode(client, 'any-code')));
      expect(error).toMatchObject({ error: 'invalid_client', status: 401 });
    });

    it('web client, unknown client id', async () => {
      const client = webClient({ clientId: 'no-such-client', clientSecret: 'whatever' });
      const error = await providerError(client.handleCallback(await callbackWithCode(client, 'any-code')));
      expect(error).toMatchObject({ error: 'invalid_client', status: 401 });
    });

    it('web client, wrong secret at refresh: thrown as the provider said, not as an expired session', async () => {
      const app = await webApp();
      const session = await signedInAtGatehouse(webClient(app));
      const wrong = webClient({ ...app, clientSecret: 'not-the-secret' });
      const error = await providerError(wrong.getAccessToken(session, { forceRefresh: true }));
      expect(error).toMatchObject({ error: 'invalid_client', status: 401 });
    });
  });

  it('invalid_grant on a bad code (web client at Gatehouse)', async () => {
    const app = await webApp();
    const client = webClient(app);
    const said = await tokenEndpointSays({
      headers: { authorization: basic(app.clientId, app.clientSecret) },
      form: { grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: REDIRECT_URI, code_verifier: 'v'.repeat(43) },
    });
    expect(said).toMatchObject({ status: 400, error: 'invalid_grant' });
    const error = await providerError(client.handleCallback(await callbackWithCode(client, 'not-a-code')));
    expect(error).toMatchObject({ error: 'invalid_grant', errorDescription: said.error_description, status: 400 });
  });

  it('invalid_scope at the token endpoint (machine client asks for a scope it is not allowed)', async () => {
    const app = await machineApp();
    const said = await tokenEndpointSays({
      headers: { authorization: basic(app.clientId, app.clientSecret) },
      form: { grant_type: 'client_credentials', scope: 'admin' },
    });
    expect(said).toMatchObject({ status: 400, error: 'invalid_scope' });
    const machine = createMachineClient({ issuer, ...app, scopes: ['admin'], allowInsecureRequests: true });
    const error = await providerError(machine.getAccessToken());
    expect(error).toMatchObject({ error: 'invalid_scope', errorDescription: said.error_description, status: 400 });
  });

  it('invalid_scope as an error redirect (web client at Gatehouse): no status', async () => {
    const app = await webApp({ scope: 'openid profile' });
    const client = webClient(app, { scopes: ['openid', 'admin'] });
    const { url, setCookie } = await client.authorizationUrl();
    const location = new URL(await redirectOf(url));
    expect(location.searchParams.get('error')).toBe('invalid_scope');
    const error = await providerError(client.handleCallback(callbackRequest(location.href, [setCookie])));
    expect(error).toMatchObject({ error: 'invalid_scope', errorDescription: location.searchParams.get('error_description'), status: undefined });
  });

  it('login_required as an error redirect: prompt=none at Gatehouse without a session', async () => {
    const client = webClient(await webApp());
    const { url, setCookie } = await client.authorizationUrl({ prompt: 'none' });
    const location = new URL(await redirectOf(url));
    expect(location.searchParams.get('error')).toBe('login_required');
    const error = await providerError(client.handleCallback(callbackRequest(location.href, [setCookie])));
    expect(error).toMatchObject({ error: 'login_required', errorDescription: location.searchParams.get('error_description') ?? undefined, status: undefined });
  });

  it('access_denied with a description: the user denied consent at Gatehouse', async () => {
    const app = await webApp();
    const client = webClient(app);
    const { callback, setCookie } = await browserSignIn(client, 'deny');
    const description = new URL(callback).searchParams.get('error_description');
    expect(description).toEqual(expect.stringMatching(/\S/));
    const error = await providerError(client.handleCallback(callbackRequest(callback, [setCookie])));
    expect(error).toMatchObject({ error: 'access_denied', errorDescription: description, status: undefined });
    expect(error.setCookies).toHaveLength(1);
  });

  it("access_denied with a description: another provider's error redirect (fake Google)", async () => {
    fake.misbehave = { authorizationError: 'access_denied', authorizationErrorDescription: 'The user cancelled the sign-in' };
    const before = fake.tokenRequests().length;
    const error = await providerError(googleCallback(googleClient()));
    expect(error).toMatchObject({ error: 'access_denied', errorDescription: 'The user cancelled the sign-in', status: undefined });
    expect(fake.tokenRequests()).toHaveLength(before);
  });

  it('invalid_token from a challenge with error (RFC 6750 §3): the challenge wins over a different error in the body', async () => {
    const client = googleClient();
    const session = await signedInAtGoogle(client);
    session.tokens.accessToken = 'ya29.not-a-token';
    // The fake, like Google, answers 401 with `Bearer error="invalid_token"` and a body `invalid_request`.
    const error = await providerError(client.fetchUserInfo(session));
    expect(error).toMatchObject({ error: 'invalid_token', status: 401 });
  });

  it("invalid_token from Gatehouse's UserInfo endpoint, with its description", async () => {
    const client = webClient(await webApp());
    const session = await signedInAtGatehouse(client);
    session.tokens.accessToken = 'not-a-token';
    const response = await fetch(`${issuer}/userinfo`, { headers: { authorization: 'Bearer not-a-token' } });
    const challenge = response.headers.get('www-authenticate') ?? '';
    const description = /error_description="([^"]*)"/.exec(challenge)?.[1];
    const error = await providerError(client.fetchUserInfo(session));
    expect(error).toMatchObject({ error: 'invalid_token', errorDescription: description, status: 401 });
  });

  it("a wrong issuer path: discovery answers Gatehouse's 404 JSON error, passed on", async () => {
    const app = await machineApp();
    const wrong = `${issuer}/wrong`;
    const response = await fetch(`${issuer}/.well-known/oauth-authorization-server/wrong`);
    const said = (await response.json()) as { error: string; error_description: string };
    const machine = createMachineClient({ issuer: wrong, ...app, allowInsecureRequests: true });
    const error = await providerError(machine.getAccessToken());
    expect(error).toMatchObject({ error: said.error, errorDescription: said.error_description, status: 404 });
  });

  it.each([
    ['an HTML 500 page', 500, 'server_error', 'text/html', '<!doctype html><title>500</title><h1>Internal Server Error</h1>'],
    ["a proxy's 502", 502, 'server_error', 'text/plain', 'Bad Gateway'],
    ["a proxy's 503", 503, 'temporarily_unavailable', 'text/plain', 'Service Unavailable'],
  ])('a 5xx without an OAuth error (%s, HTTP %i): %s, the status, no description', async (_name, status, code, type, body) => {
    fake.misbehave = { tokenAnswer: { status, body, headers: { 'content-type': type } } };
    const error = await providerError(googleCallback(googleClient()));
    expect(error).toMatchObject({ error: code, errorDescription: undefined, status });
  });

  it("a 5xx with an OAuth JSON body: the body's error and description", async () => {
    const body = JSON.stringify({ error: 'temporarily_unavailable', error_description: 'the store is down' });
    fake.misbehave = { tokenAnswer: { status: 503, body, headers: { 'content-type': 'application/json' } } };
    const error = await providerError(googleCallback(googleClient()));
    expect(error).toMatchObject({ error: 'temporarily_unavailable', errorDescription: 'the store is down', status: 503 });
  });

  it.each([
    ['Basic realm="google"', 'invalid_client'],
    ['Bearer realm="google"', 'invalid_token'],
    ['DPoP algs="ES256"', 'invalid_token'],
  ])('a 401 with a bare challenge (%s) and no body: %s', async (challenge, code) => {
    fake.misbehave = { tokenAnswer: { status: 401, body: '', headers: { 'www-authenticate': challenge } } };
    const error = await providerError(googleCallback(googleClient()));
    expect(error).toMatchObject({ error: code, errorDescription: undefined, status: 401 });
  });
});

describe('OAuthValidationError: a response failed validation', () => {
  it("missing_transaction: a callback without this browser's sign-in cookie", async () => {
    const client = webClient(await webApp());
    const request = await callbackWithCode(client, 'any-code');
    await validationError(client.handleCallback(new Request(request.url)), 'missing_transaction');
  });

  it('state_mismatch: a callback without state', async () => {
    const client = webClient(await webApp());
    const { callback, setCookie } = await browserSignIn(client);
    const url = new URL(callback);
    url.searchParams.delete('state');
    await validationError(client.handleCallback(callbackRequest(url.href, [setCookie])), 'state_mismatch');
  });

  it('iss_mismatch: Gatehouse announces RFC 9207 iss, and the callback has none', async () => {
    const client = webClient(await webApp());
    const { callback, setCookie } = await browserSignIn(client);
    const url = new URL(callback);
    expect(url.searchParams.get('iss')).toBe(issuer);
    url.searchParams.delete('iss');
    await validationError(client.handleCallback(callbackRequest(url.href, [setCookie])), 'iss_mismatch');
  });

  it('iss_mismatch: the authorization response names another issuer (mix-up)', async () => {
    fake.misbehave = { authorizationResponseIss: 'https://evil.example' };
    const before = fake.tokenRequests().length;
    await validationError(googleCallback(googleClient()), 'iss_mismatch');
    expect(fake.tokenRequests()).toHaveLength(before);
  });

  it('nonce_mismatch: the ID token carries another nonce', async () => {
    fake.misbehave = { idTokenNonce: 'replayed' };
    await validationError(googleCallback(googleClient()), 'nonce_mismatch');
  });

  it.each([
    ['for another client (aud)', { idTokenAud: 'someone-else' }],
    ['signed by a key the JWKS does not publish', { idTokenKey: 'unknown-kid' as const }],
    ['signed by another key under a published kid', { idTokenKey: 'forged-kid' as const }],
    ['unsigned (alg: none)', { idTokenAlgNone: true }],
  ])('id_token_invalid: an ID token %s', async (_name, misbehave) => {
    fake.misbehave = misbehave;
    const error = await validationError(googleCallback(googleClient()), 'id_token_invalid');
    expect(error.setCookies).toHaveLength(1);
  });

  it("id_token_invalid: an expired ID token (the provider's clock two hours behind)", async () => {
    const late = await startFakeGoogle({ redirectUris: [REDIRECT_URI], now: () => Date.now() - 2 * 3600_000 });
    try {
      const client = googleClient({ provider: google({ issuer: late.issuer }), clientId: late.clientId, clientSecret: late.clientSecret });
      const { url, setCookie } = await client.authorizationUrl();
      await validationError(client.handleCallback(callbackRequest(await providerRedirect(url), [setCookie])), 'id_token_invalid');
    } finally {
      await late.close();
    }
  });

  it('invalid_response: a 4xx that is not an OAuth error (an HTML 404 at the token endpoint)', async () => {
    fake.misbehave = { tokenAnswer: { status: 404, body: '<h1>Not Found</h1>', headers: { 'content-type': 'text/html' } } };
    await validationError(googleCallback(googleClient()), 'invalid_response');
  });

  it('invalid_response: a token response that is not JSON', async () => {
    fake.misbehave = {
      tokenAnswer: { status: 200, body: 'access_token=abc&token_type=bearer', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    };
    await validationError(googleCallback(googleClient()), 'invalid_response');
  });

  it('invalid_response: the metadata names another issuer (the issuer option spelled differently: localhost for 127.0.0.1)', async () => {
    const app = await machineApp();
    const machine = createMachineClient({ issuer: issuer.replace('127.0.0.1', 'localhost'), ...app, allowInsecureRequests: true });
    await expect(machine.getAccessToken()).rejects.toMatchObject({ name: 'OAuthValidationError', reason: 'invalid_response' });
  });

  it('logout_token_invalid: the back-channel logout endpoint answers 400 with the reason, and throws nothing', async () => {
    const client = webClient(await webApp());
    const response = await client.backchannelLogout(
      new Request(`${APP}/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'logout_token=not-a-jwt',
      }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/^logout_token is not valid/) });
  });
});

describe('SessionExpiredError: the session cannot produce a token any more', () => {
  it("Gatehouse refuses the refresh token (invalid_grant): the cause carries the server's error", async () => {
    const client = webClient(await webApp());
    const session = await signedInAtGatehouse(client);
    session.tokens.refreshToken = 'not-a-refresh-token';
    const error = await rejection(client.getAccessToken(session, { forceRefresh: true }));
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect((error as SessionExpiredError).cause).toMatchObject({
      name: 'OAuthProviderError',
      error: 'invalid_grant',
      errorDescription: expect.stringMatching(/\S/),
      status: 400,
    });
  });

  it('another provider refuses the refresh token (fake Google, invalid_grant)', async () => {
    const client = googleClient();
    const session = await signedInAtGoogle(client);
    expect(session.tokens.refreshToken).toEqual(expect.any(String));
    session.tokens.refreshToken = '1//0not-a-refresh-token';
    const error = await rejection(client.getAccessToken(session, { forceRefresh: true }));
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect((error as SessionExpiredError).cause).toMatchObject({ error: 'invalid_grant', errorDescription: 'Token has been expired or revoked.', status: 400 });
  });

  it('no refresh token and the access token expired', async () => {
    const client = googleClient();
    const session = await signedInAtGoogle(client);
    session.tokens.refreshToken = undefined;
    session.tokens.expiresAt = Date.now() - 1000;
    await expect(client.getAccessToken(session)).rejects.toBeInstanceOf(SessionExpiredError);
  });
});

describe('anything else is thrown as is: the provider unreachable', () => {
  it('machine client: the fetch error, not an OAuth error', async () => {
    const machine = createMachineClient({ issuer: `http://127.0.0.1:${await freePort()}`, clientId: 'a', clientSecret: 'b', allowInsecureRequests: true });
    const error = await rejection(machine.getAccessToken());
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(OAuthProviderError);
    expect(error).not.toBeInstanceOf(OAuthValidationError);
  });

  it('web client: the sign-in cannot start', async () => {
    const client = createOAuthClient({
      issuer: `http://127.0.0.1:${await freePort()}`,
      clientId: 'a',
      clientSecret: 'b',
      redirectUri: REDIRECT_URI,
      secret: SESSION_SECRET,
      allowInsecureRequests: true,
    });
    const error = await rejection(client.authorizationUrl());
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(OAuthProviderError);
  });
});
