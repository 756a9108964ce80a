/**
 * Pushed authorization requests (RFC 9126) through the server's `fetch`: the push (client
 * authentication, the authorization request's own checks answered as JSON, never redirected), the
 * single-use `request_uri` at the authorization endpoint (reused, expired, another client's), and
 * the per-client and global requirement (§6).
 */
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { PAR_REQUEST_URI_PREFIX } from '../../../src/server/authorize/pushed-requests.js';
import {
  authorizeParams,
  authorizeUrl,
  Browser,
  callbackParams,
  expectPage,
  expectTokens,
  pkce,
  redeemCode,
  registerFlowClient,
  startFlow,
  submitLogin,
  testUsers,
  type FlowClient,
  type Flow,
  type Page,
} from '../../helpers/flow.js';
import { dpopProof, newDpopKey, type DpopKey } from '../../helpers/dpop.js';
import { basic, encodeForm, type FormFields, type TestServer } from '../../helpers/server.js';

beforeAll(async () => {
  await testUsers();
});

/** POSTs `fields` to `/par` as `client` (Basic for a confidential client, `client_id` alone for a public one). */
function push(server: TestServer, client: FlowClient, fields: FormFields, headers: Record<string, string> = {}): Promise<Response> {
  const auth: Record<string, string> = client.clientSecret === null ? {} : { Authorization: basic(client.clientId, client.clientSecret) };
  const body = client.clientSecret === null ? { client_id: client.clientId, ...fields } : fields;
  return server.server.fetch(
    new Request(`${server.issuer}/par`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...auth, ...headers },
      body: encodeForm(body),
    }),
  );
}

/** Pushes the flow client's usual request (with `overrides`); the `request_uri`, the PKCE verifier and the parameters pushed. */
async function pushed(flow: Flow, overrides: Record<string, string | undefined> = {}, client = flow.client) {
  const { verifier, challenge } = pkce();
  const params = authorizeParams(client, challenge, overrides);
  const response = await push(flow.server, client, params);
  expect(response.status).toBe(201);
  const body = (await response.json()) as { request_uri: string; expires_in: number };
  return { requestUri: body.request_uri, verifier, params };
}

/** The authorization URL of a pushed request: `client_id` and `request_uri` only (RFC 9126 §4), plus `extra`. */
function withRequestUri(server: TestServer, clientId: string, requestUri: string, extra: Record<string, string> = {}): string {
  return authorizeUrl(server, { client_id: clientId, request_uri: requestUri, ...extra });
}

/** An error page (no redirect anywhere) saying `code`'s message. */
function expectRequestUriPage(page: Page): void {
  expect(page.location).toBeUndefined();
  expect(page.status).toBe(400);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.body).toContain('the request_uri is unknown, expired or already used');
}

describe('pushed authorization request endpoint (RFC 9126 §2)', () => {
  let flow: Flow;
  beforeAll(async () => {
    flow = await startFlow();
  });

  it('is advertised in discovery, without require_pushed_authorization_requests by default', async () => {
    const metadata = (await (await flow.server.get('/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    expect(metadata.pushed_authorization_request_endpoint).toBe(`${flow.server.issuer}/par`);
    expect(metadata).not.toHaveProperty('require_pushed_authorization_requests');
  });

  it('answers 201 with a single-use request_uri of 256 bits and expires_in, never cached', async () => {
    const { challenge } = pkce();
    const response = await push(flow.server, flow.client, authorizeParams(flow.client, challenge));
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { request_uri: string; expires_in: number };
    expect(body.expires_in).toBe(60);
    expect(body.request_uri.startsWith(PAR_REQUEST_URI_PREFIX)).toBe(true);
    expect(body.request_uri.slice(PAR_REQUEST_URI_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('signs the user in with the pushed request: the query holds only client_id and request_uri, others are ignored', async () => {
    const { requestUri, verifier, params } = await pushed(flow);
    const browser = new Browser(flow.server);
    // RFC 9126 §4: parameters outside the pushed request are ignored (a different state, a scope the client lacks).
    let page = await browser.open(withRequestUri(flow.server, flow.client.clientId, requestUri, { state: 'forged', scope: 'openid admin' }));
    page = await submitLogin(browser, expectPage(page, 'login'), flow.users.alice);
    page = await browser.submit(expectPage(page, 'consent'), {}, { button: 'approve' });
    const callback = callbackParams(page);
    expect(callback.get('state')).toBe(params.state);
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callback.get('code')!, verifier));
    expect(tokens.scope).toBe('openid');

    // Single use (RFC 9126 §4): the same URL again, reloaded, or replayed, is refused on a page.
    expectRequestUriPage(await browser.open(withRequestUri(flow.server, flow.client.clientId, requestUri)));
  });

  it('carries prompt=none: a browser with a session gets its code at once', async () => {
    const browser = new Browser(flow.server);
    const first = await pushed(flow);
    let page = await browser.open(withRequestUri(flow.server, flow.client.clientId, first.requestUri));
    page = await submitLogin(browser, expectPage(page, 'login'), flow.users.bob);
    callbackParams(await browser.submit(expectPage(page, 'consent'), {}, { button: 'approve' }));
    const silent = await pushed(flow, { prompt: 'none' });
    const callback = callbackParams(await browser.open(withRequestUri(flow.server, flow.client.clientId, silent.requestUri)));
    expect(callback.get('code')).toEqual(expect.any(String));
    expect(callback.get('state')).toBe(silent.params.state);
  });

  it('refuses an expired request_uri on a page (fake clock past expires_in)', async () => {
    const { requestUri } = await pushed(flow);
    flow.server.clock.advance(61_000);
    expectRequestUriPage(await new Browser(flow.server).open(withRequestUri(flow.server, flow.client.clientId, requestUri)));
  });

  it("refuses another client's request_uri without spending it: its own client can still use it", async () => {
    const other = await registerFlowClient(flow.server, { name: 'Other App' });
    const { requestUri } = await pushed(flow);
    expectRequestUriPage(await new Browser(flow.server).open(withRequestUri(flow.server, other.clientId, requestUri)));
    const page = await new Browser(flow.server).open(withRequestUri(flow.server, flow.client.clientId, requestUri));
    expectPage(page, 'login');
  });

  it('refuses an unknown request_uri of the PAR form, and a request_uri without client_id, on a page', async () => {
    const unknown = `${PAR_REQUEST_URI_PREFIX}${'A'.repeat(43)}`;
    expectRequestUriPage(await new Browser(flow.server).open(withRequestUri(flow.server, flow.client.clientId, unknown)));
    const { requestUri } = await pushed(flow);
    const page = await new Browser(flow.server).open(authorizeUrl(flow.server, { request_uri: requestUri }));
    expect(page.location).toBeUndefined();
    expect(page.status).toBe(400);
  });

  it('keeps refusing a request_uri that is not of a pushed request (by reference, RFC 9101): request_uri_not_supported, on a page', async () => {
    const page = await new Browser(flow.server).open(
      authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge, { request_uri: 'https://app.example.com/request.jwt' })),
    );
    expect(page.status).toBe(400);
    expect(page.location).toBeUndefined();
    expect(page.body).toContain('request_uri is not supported');
  });

  it('refuses a push without client authentication for a confidential client (401 invalid_client)', async () => {
    const params = authorizeParams(flow.client, pkce().challenge);
    const response = await flow.server.post('/par', params);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    const wrong = await flow.server.post('/par', params, { headers: { Authorization: basic(flow.client.clientId, 'wrong-secret') } });
    expect(wrong.status).toBe(401);
  });

  it('accepts a public client by its client_id alone (RFC 9126 §2.1)', async () => {
    const spa = await registerFlowClient(flow.server, { name: 'SPA', authMethod: 'none' });
    const { requestUri, verifier } = await pushed(flow, {}, spa);
    const browser = new Browser(flow.server);
    let page = await browser.open(withRequestUri(flow.server, spa.clientId, requestUri));
    page = await submitLogin(browser, expectPage(page, 'login'), flow.users.alice);
    const callback = callbackParams(await browser.submit(expectPage(page, 'consent'), {}, { button: 'approve' }));
    await expectTokens(await redeemCode(flow.server, spa, callback.get('code')!, verifier));
  });

  it('carries RFC 8707 resource values: the grant and its tokens are bound to the pushed resource', async () => {
    const api = 'https://api.example.com/';
    const bound = await registerFlowClient(flow.server, { name: 'API App', resources: [api] });
    const { requestUri, verifier } = await pushed(flow, { resource: api }, bound);
    const browser = new Browser(flow.server);
    let page = await browser.open(withRequestUri(flow.server, bound.clientId, requestUri));
    page = await submitLogin(browser, expectPage(page, 'login'), flow.users.alice);
    const callback = callbackParams(await browser.submit(expectPage(page, 'consent'), {}, { button: 'approve' }));
    const tokens = await expectTokens(await redeemCode(flow.server, bound, callback.get('code')!, verifier, { resource: api }));
    expect(decodeJwt(tokens.access_token).aud).toBe(api);
  });

  it.each([
    ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example/cb' }, 'invalid_request'],
    ['no code_challenge', { code_challenge: undefined }, 'invalid_request'],
    ['a scope the client may not have', { scope: 'openid admin' }, 'invalid_scope'],
    ['response_type token', { response_type: 'token' }, 'unsupported_response_type'],
    ['an unknown resource', { resource: 'https://unknown.example/api' }, 'invalid_target'],
    ['a prompt value not supported', { prompt: 'bogus' }, 'invalid_request'],
    ['a request_uri (RFC 9126 §2.1)', { request_uri: `${PAR_REQUEST_URI_PREFIX}abc` }, 'invalid_request'],
    ['an unsigned request object', { request: 'eyJhbGciOiJub25lIn0.e30.' }, 'invalid_request_object'],
    ['a client_id of another client', { client_id: 'someone-else' }, 'invalid_request'],
  ])('answers a push with %s as JSON (%s), never a redirect', async (_, overrides, error) => {
    const response = await push(flow.server, flow.client, authorizeParams(flow.client, pkce().challenge, overrides));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ error });
  });

  it('binds the code to the key of a DPoP proof sent with the push (RFC 9449 §10.1); a dpop_jkt naming another key is refused', async () => {
    const { server, client } = flow;
    const [key, other] = await Promise.all([newDpopKey(), newDpopKey()]);
    const { verifier, challenge } = pkce();
    const params = authorizeParams(client, challenge);
    const proof = (dpopKey: DpopKey, endpoint: string) => dpopProof(server, dpopKey, `${server.issuer}/${endpoint}`);

    const mismatched = await push(server, client, { ...params, dpop_jkt: other.jkt }, { DPoP: await proof(key, 'par') });
    expect(mismatched.status).toBe(400);
    expect(await mismatched.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    const forToken = await push(server, client, params, { DPoP: await proof(key, 'token') });
    expect(forToken.status).toBe(400);

    const response = await push(server, client, params, { DPoP: await proof(key, 'par') });
    expect(response.status).toBe(201);
    const { request_uri: requestUri } = (await response.json()) as { request_uri: string };
    const browser = new Browser(server);
    let page = await browser.open(withRequestUri(server, client.clientId, requestUri));
    page = await submitLogin(browser, expectPage(page, 'login'), flow.users.alice);
    // Alice consented in an earlier test: the code comes at once.
    const code = callbackParams(page.location ? page : await browser.submit(expectPage(page, 'consent'), {}, { button: 'approve' })).get('code')!;

    const redeem = async (dpopKey: DpopKey) =>
      server.post(
        '/token',
        { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: client.redirectUri },
        { headers: { Authorization: basic(client.clientId, client.clientSecret!), DPoP: await proof(dpopKey, 'token') } },
      );
    const wrongKey = await redeem(other);
    expect(wrongKey.status).toBe(400);
    expect(await wrongKey.json()).toMatchObject({ error: 'invalid_grant' });
    const tokens = await expectTokens(await redeem(key));
    expect(tokens.token_type).toBe('DPoP');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });
  });

  it('spends the client token budget before any work: 429 once it is spent', async () => {
    const limited = await startFlow({ protection: { rateLimits: { tokenPerClient: { points: 2, seconds: 60 } } } });
    const params = () => authorizeParams(limited.client, pkce().challenge);
    expect((await push(limited.server, limited.client, params())).status).toBe(201);
    expect((await push(limited.server, limited.client, { ...params(), scope: 'bogus' })).status).toBe(400);
    const third = await push(limited.server, limited.client, params());
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toEqual(expect.any(String));
  });
});

describe('require_pushed_authorization_requests (RFC 9126 §6)', () => {
  it('per client: a plain request is refused with invalid_request, redirected with state; a pushed one works', async () => {
    const flow = await startFlow({}, { requirePushedAuthorizationRequests: true });
    const params = authorizeParams(flow.client, pkce().challenge);
    const callback = callbackParams(await flow.browser.open(authorizeUrl(flow.server, params)));
    expect(callback.get('error')).toBe('invalid_request');
    expect(callback.get('state')).toBe(params.state);
    expect(callback.get('iss')).toBe(flow.server.issuer);
    const { requestUri } = await pushed(flow);
    expectPage(await flow.browser.open(withRequestUri(flow.server, flow.client.clientId, requestUri)), 'login');
    // Another client of the same server is not held to it.
    const other = await registerFlowClient(flow.server, { name: 'Other App' });
    expectPage(await new Browser(flow.server).open(authorizeUrl(flow.server, authorizeParams(other, pkce().challenge))), 'login');
  });

  it('globally (par.required): advertised in discovery, and every client must push', async () => {
    const flow = await startFlow({ par: { required: true } });
    const metadata = (await (await flow.server.get('/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    expect(metadata.require_pushed_authorization_requests).toBe(true);
    const callback = callbackParams(await flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge))));
    expect(callback.get('error')).toBe('invalid_request');
    const { requestUri } = await pushed(flow);
    expectPage(await flow.browser.open(withRequestUri(flow.server, flow.client.clientId, requestUri)), 'login');
  });

  it('par.requestUriTtl sets expires_in', async () => {
    const flow = await startFlow({ par: { requestUriTtl: 30 } });
    const response = await push(flow.server, flow.client, authorizeParams(flow.client, pkce().challenge));
    expect(((await response.json()) as { expires_in: number }).expires_in).toBe(30);
  });
});
