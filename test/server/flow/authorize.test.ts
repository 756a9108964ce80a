import { beforeAll, describe, expect, it } from 'vitest';
import {
  APP_REDIRECT,
  authorize,
  authorizeParams,
  authorizeUrl,
  Browser,
  callbackParams,
  expectPage,
  expectTokens,
  findForm,
  pkce,
  promptNone,
  readIdToken,
  redeemCode,
  registerFlowClient,
  signIn,
  startFlow,
  submitLogin,
  testUsers,
  type Flow,
  type Page,
} from '../../helpers/flow.js';

beforeAll(async () => {
  await testUsers();
});

/** The callback URL's redirect URI part (origin and path), without the response parameters. */
function redirectTarget(page: Page): string {
  if (!page.location) throw new Error(`expected a redirect to the client, got ${page.status}`);
  return `${page.location.origin}${page.location.pathname}`;
}

/** Expects an error page: HTML, the status, no Location header (nothing redirected anywhere). */
function expectErrorPage(page: Page, status = 400): void {
  expect(page.location).toBeUndefined();
  expect(page.status).toBe(status);
  expect(page.headers.get('location')).toBeNull();
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(findFormOrNone(page)).toBeUndefined();
}

function findFormOrNone(page: Page): unknown {
  try {
    return findForm(page);
  } catch {
    return undefined;
  }
}

/** Opens an authorization request built from the flow client's defaults with `overrides`. */
function openAuthorize(flow: Flow, overrides: Record<string, string | undefined>, browser: Browser = flow.browser): Promise<Page> {
  return browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge, overrides)));
}

describe('authorization endpoint: request validation (RFC 6749 §4.1.1, OIDC Core §3.1.2.1)', () => {
  it('accepts GET: an unauthenticated request shows the login page', async () => {
    const flow = await startFlow();
    const page = await openAuthorize(flow, {});
    expect(page.status).toBe(200);
    expectPage(page, 'login');
  });

  it('accepts POST (OIDC Core §3.1.2.1) and completes the flow to a code that redeems', async () => {
    const flow = await startFlow();
    const { verifier, challenge } = pkce();
    const params = authorizeParams(flow.client, challenge, { scope: 'openid' });
    let page = await flow.browser.open(`${flow.server.issuer}/authorize`, { method: 'POST', form: params });
    page = await submitLogin(flow.browser, page, flow.users.alice);
    page = await flow.browser.submit(expectPage(page, 'consent'), {}, { button: 'approve' });
    const callback = callbackParams(page);
    expect(redirectTarget(page)).toBe(APP_REDIRECT);
    expect(callback.get('state')).toBe(params.state);
    expect(page.status).toBe(303);
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callback.get('code')!, verifier));
    expect(readIdToken(tokens.id_token!).claims.sub).toBe(flow.users.alice.record.id);
  });

  it('answers a response_type other than code with unsupported_response_type, state and iss (RFC 6749 §4.1.2.1, RFC 9207)', async () => {
    const flow = await startFlow();
    for (const responseType of ['token', 'id_token', 'code id_token']) {
      const page = await openAuthorize(flow, { response_type: responseType, state: 'xyz' });
      const callback = callbackParams(page);
      expect(redirectTarget(page)).toBe(APP_REDIRECT);
      expect(callback.get('error')).toBe('unsupported_response_type');
      expect(callback.get('state')).toBe('xyz');
      expect(callback.get('iss')).toBe(flow.server.issuer);
      expect(callback.get('code')).toBeNull();
      expect(page.location!.hash).toBe('');
    }
  });

  it('requires PKCE: no code_challenge is invalid_request (RFC 9700 §2.1.1)', async () => {
    const flow = await startFlow();
    const page = await openAuthorize(flow, { code_challenge: undefined, code_challenge_method: undefined, state: 's1' });
    const callback = callbackParams(page);
    expect(callback.get('error')).toBe('invalid_request');
    expect(callback.get('state')).toBe('s1');
    expect(callback.get('iss')).toBe(flow.server.issuer);
  });

  it('accepts only S256: method plain or no method is invalid_request (RFC 7636 §4.3, RFC 9700 §2.1.1)', async () => {
    const flow = await startFlow();
    const { verifier } = pkce();
    const plain = callbackParams(await openAuthorize(flow, { code_challenge: verifier, code_challenge_method: 'plain' }));
    expect(plain.get('error')).toBe('invalid_request');
    const missing = callbackParams(await openAuthorize(flow, { code_challenge_method: undefined }));
    expect(missing.get('error')).toBe('invalid_request');
    // Without a method RFC 7636 §4.3 means plain: the S256-looking challenge must not be taken as S256 either.
    expect(missing.get('code')).toBeNull();
  });

  it('shows an error page for an unknown client_id and redirects nowhere (RFC 6749 §4.1.2.1)', async () => {
    const flow = await startFlow();
    const page = await openAuthorize(flow, { client_id: 'no-such-client' });
    expectErrorPage(page);
    expect(page.body).not.toContain(APP_REDIRECT);
  });

  it('never redirects to an unregistered redirect_uri, nor links it (RFC 6749 §4.1.2.1, RFC 9700 §4.1)', async () => {
    const flow = await startFlow();
    const evil = 'https://evil.example.net/steal';
    for (const overrides of [
      { redirect_uri: evil },
      { redirect_uri: evil, response_type: 'token' },
      { redirect_uri: `${APP_REDIRECT}/../evil` },
      { redirect_uri: `${APP_REDIRECT}?x=1` },
      { redirect_uri: APP_REDIRECT.replace('https:', 'http:') },
    ]) {
      const page = await openAuthorize(flow, overrides);
      expectErrorPage(page);
      expect(page.body).not.toContain('evil.example.net');
      expect(page.body).not.toMatch(/href="https?:\/\/(?!app\.example\.com)/);
    }
  });

  it('lets a native public client use any port on its loopback redirect URI (RFC 8252 §7.3)', async () => {
    const flow = await startFlow();
    const native = await registerFlowClient(flow.server, { name: 'CLI', authMethod: 'none', redirectUris: ['http://127.0.0.1/cb'] });
    const redirectUri = 'http://127.0.0.1:51234/cb';
    const { code, verifier, callback } = await authorize(flow.browser, flow.server, native, flow.users.alice, { redirect_uri: redirectUri });
    expect(callback.get('iss')).toBe(flow.server.issuer);
    const page = flow.browser.history.at(-1)!;
    expect(page.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:51234\/cb\?/);
    // The token request must repeat the exact URI used, port included.
    const tokens = await expectTokens(await redeemCode(flow.server, native, code, verifier, { redirect_uri: redirectUri }));
    expect(tokens.access_token).toBeTruthy();
  });

  it('still matches the loopback path exactly for a native client: only the port may vary', async () => {
    const flow = await startFlow();
    const native = await registerFlowClient(flow.server, { name: 'CLI', authMethod: 'none', redirectUris: ['http://127.0.0.1/cb'] });
    for (const redirectUri of ['http://127.0.0.1:51234/other', 'http://localhost:51234/cb', 'http://127.0.0.1:51234/cb?x=1']) {
      const page = await openAuthorize({ ...flow, client: native }, { redirect_uri: redirectUri });
      expectErrorPage(page);
    }
  });

  it('does not relax the port for a confidential client registered with a loopback URI', async () => {
    const flow = await startFlow();
    const confidential = await registerFlowClient(flow.server, { name: 'Local web app', redirectUris: ['http://127.0.0.1/cb'] });
    const page = await openAuthorize({ ...flow, client: confidential }, { redirect_uri: 'http://127.0.0.1:51234/cb' });
    expectErrorPage(page);
    expect(page.body).not.toContain('51234');
  });

  it('shows an unverifiable request object, and request_uri by reference, on a page: the redirect URI of such a request is not trusted (RFC 9101 §6.3)', async () => {
    const flow = await startFlow();
    const unsigned = await openAuthorize(flow, { request: 'eyJhbGciOiJub25lIn0.e30.', state: 'r1' });
    expectErrorPage(unsigned);
    expect(unsigned.body).toContain('request object');
    const byReference = await openAuthorize(flow, { request_uri: 'https://app.example.com/request.jwt', state: 'r2' });
    expectErrorPage(byReference);
    expect(byReference.body).toContain('request_uri is not supported');
  });

  it('answers a scope the client may not use with invalid_scope (RFC 6749 §4.1.2.1)', async () => {
    const flow = await startFlow({}, { scope: 'openid email' });
    const callback = callbackParams(await openAuthorize(flow, { scope: 'openid profile', state: 'sc' }));
    expect(callback.get('error')).toBe('invalid_scope');
    expect(callback.get('state')).toBe('sc');
    expect(callback.get('iss')).toBe(flow.server.issuer);
  });

  it('ignores unknown parameters (RFC 6749 §3.1)', async () => {
    const flow = await startFlow();
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { foo: 'bar', 'x-tracking': '1', display: 'page' });
    expect(tokens.access_token).toBeTruthy();
  });
});

describe('authorization endpoint: response delivery', () => {
  it('with response_mode=form_post answers a page that posts code, state and iss to the redirect URI, allowed by its CSP', async () => {
    const flow = await startFlow();
    const { verifier, challenge } = pkce();
    const params = authorizeParams(flow.client, challenge, { response_mode: 'form_post', state: 'fp-state' });
    let page = await flow.browser.open(authorizeUrl(flow.server, params));
    page = await submitLogin(flow.browser, page, flow.users.alice);
    page = await flow.browser.submit(expectPage(page, 'consent'), {}, { button: 'approve' });
    expect(page.status).toBe(200);
    expect(page.headers.get('location')).toBeNull();
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const form = findForm(page);
    expect(form.method).toBe('post');
    expect(form.action).toBe(APP_REDIRECT);
    expect(Object.keys(form.fields).sort()).toEqual(['code', 'iss', 'state']);
    expect(form.fields.state).toBe('fp-state');
    expect(form.fields.iss).toBe(flow.server.issuer);
    const csp = page.headers.get('content-security-policy')!;
    const formAction = /form-action ([^;]*)/.exec(csp)![1]!.split(' ');
    expect(formAction).toContain('https://app.example.com');
    expect(csp).toContain("frame-ancestors 'none'");
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, form.fields.code!, verifier));
    expect(tokens.id_token).toBeTruthy();
  });

  it('delivers form_post errors by form too, never in the query', async () => {
    const flow = await startFlow();
    const page = await openAuthorize(flow, { response_mode: 'form_post', prompt: 'none', state: 'e1' });
    expect(page.status).toBe(200);
    const form = findForm(page);
    expect(form.action).toBe(APP_REDIRECT);
    expect(form.fields).toMatchObject({ error: 'login_required', state: 'e1', iss: flow.server.issuer });
  });

  it('denying consent sends access_denied with state and iss (RFC 6749 §4.1.2.1)', async () => {
    const flow = await startFlow();
    let page = await openAuthorize(flow, { state: 'deny-me' });
    page = await submitLogin(flow.browser, page, flow.users.alice);
    page = await flow.browser.submit(expectPage(page, 'consent'), {}, { button: 'deny' });
    const callback = callbackParams(page);
    expect(redirectTarget(page)).toBe(APP_REDIRECT);
    expect(callback.get('error')).toBe('access_denied');
    expect(callback.get('state')).toBe('deny-me');
    expect(callback.get('iss')).toBe(flow.server.issuer);
    expect(callback.get('code')).toBeNull();
    // Nothing was remembered: the next silent request still needs consent.
    expect((await promptNone(flow.browser, flow.server, flow.client)).get('error')).toBe('consent_required');
  });
});

describe('authorization endpoint: prompt, max_age and id_token_hint (OIDC Core §3.1.2.1, §3.1.2.3)', () => {
  it('prompt=none without a session answers login_required with state and iss', async () => {
    const flow = await startFlow();
    const callback = await promptNone(flow.browser, flow.server, flow.client, { state: 'pn' });
    expect(callback.get('error')).toBe('login_required');
    expect(callback.get('state')).toBe('pn');
    expect(callback.get('iss')).toBe(flow.server.issuer);
    expect(callback.get('code')).toBeNull();
  });

  it('prompt=none with a session but no consent for this client answers consent_required', async () => {
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const other = await registerFlowClient(flow.server, { name: 'Other App' });
    const callback = await promptNone(flow.browser, flow.server, other);
    expect(callback.get('error')).toBe('consent_required');
    expect(callback.get('code')).toBeNull();
  });

  it('prompt=none with a session and remembered consent answers with a code at once', async () => {
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const { verifier, challenge } = pkce();
    const page = await flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, challenge, { prompt: 'none', nonce: 'n-silent' })));
    expect(page.status).toBe(303);
    const callback = callbackParams(page);
    expect(callback.get('iss')).toBe(flow.server.issuer);
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callback.get('code')!, verifier));
    const { claims } = readIdToken(tokens.id_token!);
    expect(claims.sub).toBe(flow.users.alice.record.id);
    expect(claims.nonce).toBe('n-silent');
  });

  it('prompt=none asks for consent again when new scopes are requested', async () => {
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid' });
    expect((await promptNone(flow.browser, flow.server, flow.client, { scope: 'openid email' })).get('error')).toBe('consent_required');
  });

  it('prompt=login with a session shows the login page again, and the new ID token has a newer auth_time', async () => {
    const flow = await startFlow();
    const first = await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const firstAuthTime = readIdToken(first.id_token!).claims.auth_time as number;
    flow.server.clock.advance(120_000);
    const { verifier, challenge } = pkce();
    let page = await flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, challenge, { prompt: 'login' })));
    page = await submitLogin(flow.browser, expectPage(page, 'login'), flow.users.alice);
    // Consent is remembered: straight back to the client.
    const callback = callbackParams(page);
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callback.get('code')!, verifier));
    expect(readIdToken(tokens.id_token!).claims.auth_time).toBe(firstAuthTime + 120);
  });

  it('max_age forces a new sign-in once the session is older, and not before (§3.1.2.1)', async () => {
    const flow = await startFlow();
    const first = await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const authTime = readIdToken(first.id_token!).claims.auth_time as number;
    flow.server.clock.advance(30_000);
    // Younger than max_age: no interaction.
    const young = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { max_age: '60' });
    expect(readIdToken(young.id_token!).claims.auth_time).toBe(authTime);
    expect(flow.browser.history.filter((page) => page.body.includes('name="password"'))).toHaveLength(1);
    flow.server.clock.advance(31_000);
    const page = await openAuthorize(flow, { max_age: '60' });
    expectPage(page, 'login');
    const { verifier, challenge } = pkce();
    let again = await flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, challenge, { max_age: '60' })));
    again = await submitLogin(flow.browser, again, flow.users.alice);
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callbackParams(again).get('code')!, verifier));
    // §3.1.2.1: with max_age the ID token must carry auth_time, the new one.
    expect(readIdToken(tokens.id_token!).claims.auth_time).toBe(authTime + 61);
  });

  it('max_age=0 forces a new sign-in after time has passed', async () => {
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    flow.server.clock.advance(1_000);
    expectPage(await openAuthorize(flow, { max_age: '0' }), 'login');
  });

  it('max_age=0 forces a new sign-in even within the same second as the last one ("max_age=0 is equivalent to prompt=login", OIDC Core §3.1.2.1)', async () => {
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    // No time passes: an RP asking for max_age=0 right after a sign-in must still get a fresh one.
    expectPage(await openAuthorize(flow, { max_age: '0' }), 'login');
  });

  it('prompt=consent asks again even with remembered consent', async () => {
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    let page = await openAuthorize(flow, { prompt: 'consent', state: 'pc' });
    page = await flow.browser.submit(expectPage(page, 'consent'), {}, { button: 'approve' });
    expect(callbackParams(page).get('code')).toBeTruthy();
    expect(callbackParams(page).get('state')).toBe('pc');
  });

  it('asks for consent again when new scopes are requested, showing them, and remembers the union', async () => {
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid' });
    let page = await openAuthorize(flow, { scope: 'openid email' });
    expectPage(page, 'consent');
    expect(page.body).toContain('data-scope="email"');
    page = await flow.browser.submit(page, {}, { button: 'approve' });
    expect(callbackParams(page).get('code')).toBeTruthy();
    // Both old and new scopes are now covered without asking.
    expect((await promptNone(flow.browser, flow.server, flow.client, { scope: 'openid email' })).get('code')).toBeTruthy();
    expect((await promptNone(flow.browser, flow.server, flow.client, { scope: 'openid' })).get('code')).toBeTruthy();
  });

  it('prompt=select_account shows the account chooser; continuing issues a code for that account', async () => {
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const { verifier, challenge } = pkce();
    let page = await flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, challenge, { prompt: 'select_account' })));
    expectPage(page, 'select-account');
    expect(page.body).toContain('alice@example.com');
    page = await flow.browser.submit(page, {}, { button: 'current' });
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callbackParams(page).get('code')!, verifier));
    expect(readIdToken(tokens.id_token!).claims.sub).toBe(flow.users.alice.record.id);
  });

  it('prompt=select_account: "use another account" leads to the login page and signs in the other user', async () => {
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const { verifier, challenge } = pkce();
    let page = await flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, challenge, { prompt: 'select_account' })));
    page = await flow.browser.submit(expectPage(page, 'select-account'), {}, { button: 'other' });
    page = await submitLogin(flow.browser, page, flow.users.bob);
    page = await flow.browser.submit(expectPage(page, 'consent'), {}, { button: 'approve' });
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callbackParams(page).get('code')!, verifier));
    expect(readIdToken(tokens.id_token!).claims.sub).toBe(flow.users.bob.record.id);
  });

  it('an id_token_hint for another user than the signed-in one forces a sign-in (§3.1.2.1)', async () => {
    const flow = await startFlow();
    const bobBrowser = new Browser(flow.server);
    const bob = await signIn(bobBrowser, flow.server, flow.client, flow.users.bob);
    const alice = await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    // Alice's own hint: no interaction.
    expect((await promptNone(flow.browser, flow.server, flow.client, { id_token_hint: alice.id_token! })).get('code')).toBeTruthy();
    // Bob's hint in Alice's browser: the code must not be issued for Alice.
    const page = await openAuthorize(flow, { id_token_hint: bob.id_token! });
    expectPage(page, 'login');
    expect((await promptNone(flow.browser, flow.server, flow.client, { id_token_hint: bob.id_token! })).get('error')).toBe('login_required');
  });

  it('refuses an id_token_hint that is not a valid ID token of this server for this client', async () => {
    const flow = await startFlow();
    const alice = await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const other = await registerFlowClient(flow.server, { name: 'Other App' });
    const [header, payload, signature] = alice.id_token!.split('.');
    const tampered = `${header}.${payload}.${signature!.slice(0, -4)}AAAA`;
    expect((await promptNone(flow.browser, flow.server, flow.client, { id_token_hint: tampered })).get('error')).toBe('invalid_request');
    // An ID token issued to another client is not a hint for this one.
    expect((await promptNone(flow.browser, flow.server, other, { id_token_hint: alice.id_token! })).get('error')).toBe('invalid_request');
    // An access token is not an ID token.
    expect((await promptNone(flow.browser, flow.server, flow.client, { id_token_hint: alice.access_token })).get('error')).toBe('invalid_request');
  });
});
