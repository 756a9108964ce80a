/**
 * Signed request objects by value (RFC 9101, OIDC Core §6.1) at the authorization endpoint,
 * through the server's fetch handler: the parameters inside are the request (outer ones ignored),
 * a client registered with `require_signed_request_object` must send one, and every request object
 * that cannot be trusted (unsigned, wrong audience or issuer, expired, another client's) is shown on
 * a page, never redirected.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  APP_REDIRECT,
  authorizeUrl,
  Browser,
  callbackParams,
  expectTokens,
  pageKind,
  pkce,
  readIdToken,
  redeemCode,
  registerFlowClient,
  startFlow,
  submitLogin,
  type Flow,
  type FlowClient,
  type Page,
} from '../../helpers/flow.js';
import { basic } from '../../helpers/server.js';

let flow: Flow;
let privateKey: CryptoKey;
let jwk: JWK;
let signed: FlowClient;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
  flow = await startFlow();
  signed = await registerFlowClient(flow.server, { jwks: { keys: [jwk] }, requireSignedRequestObject: true });
});

/** A request object of `client` at the server's time: a typical OpenID request, `claims` override. */
function requestObject(client: FlowClient, challenge: string, claims: Record<string, unknown> = {}, key: CryptoKey = privateKey, alg = 'ES256') {
  const now = Math.floor(flow.server.clock.now() / 1000);
  return new SignJWT({
    iss: client.clientId,
    aud: flow.server.issuer,
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: 'openid profile',
    state: 'inner-state',
    nonce: 'inner-nonce',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    max_age: 3600,
    ...claims,
  })
    .setProtectedHeader({ alg, kid: 'k1', typ: 'oauth-authz-req+jwt' })
    .sign(key);
}

function open(browser: Browser, params: Record<string, string>): Promise<Page> {
  return browser.open(authorizeUrl(flow.server, params));
}

function expectErrorPage(page: Page): void {
  expect(page.status).toBe(400);
  expect(page.location).toBeUndefined();
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
}

describe('signed request objects (RFC 9101)', () => {
  it('are advertised: request by value yes, by reference no', async () => {
    const metadata = (await (await flow.server.get('/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ request_parameter_supported: true, request_uri_parameter_supported: false });
    expect(metadata.request_object_signing_alg_values_supported).toEqual(['RS256', 'PS256', 'ES256', 'EdDSA']);
    expect(metadata).not.toHaveProperty('require_signed_request_object');
  });

  it('sign in with the parameters inside only: outer state, scope and redirect_uri are ignored (RFC 9101 §5)', async () => {
    const { verifier, challenge } = pkce();
    const browser = new Browser(flow.server);
    let page = await open(browser, {
      client_id: signed.clientId,
      request: await requestObject(signed, challenge),
      state: 'outer-state',
      scope: 'openid email',
      redirect_uri: 'https://evil.example/callback',
    });
    for (let step = 0; step < 3 && !page.location; step += 1) {
      page = pageKind(page) === 'login' ? await submitLogin(browser, page, flow.users.alice) : await browser.submit(page, {}, { button: 'approve' });
    }
    const callback = callbackParams(page);
    expect(`${page.location!.origin}${page.location!.pathname}`).toBe(APP_REDIRECT);
    expect(callback.get('state')).toBe('inner-state');
    const tokens = await expectTokens(await redeemCode(flow.server, signed, callback.get('code')!, verifier));
    expect(tokens.scope!.split(' ').sort()).toEqual(['openid', 'profile']);
    expect(readIdToken(tokens.id_token!).claims.nonce).toBe('inner-nonce');
  });

  it('refuses a request without a request object from a client that requires one (RFC 9101 §10.5), on a page', async () => {
    const page = await open(flow.browser, {
      client_id: signed.clientId,
      response_type: 'code',
      redirect_uri: APP_REDIRECT,
      scope: 'openid',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    expectErrorPage(page);
    expect(page.body).toContain('signed request object');
  });

  it.each([
    ['unsigned (alg none)', 'none'],
    ['wrong audience', 'aud'],
    ['wrong issuer', 'iss'],
    ['expired', 'exp'],
    ['a lifetime over an hour', 'lifetime'],
    ['client_id inside not the client', 'client_id'],
    ['signed by another key', 'key'],
    ['holding a request_uri', 'request_uri'],
  ])('refuses a request object %s, on a page', async (_name, fault) => {
    const challenge = pkce().challenge;
    const now = Math.floor(flow.server.clock.now() / 1000);
    let request: string;
    if (fault === 'none') {
      const claims = {
        iss: signed.clientId,
        aud: flow.server.issuer,
        exp: now + 60,
        client_id: signed.clientId,
        response_type: 'code',
        redirect_uri: APP_REDIRECT,
      };
      request = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    } else if (fault === 'key') {
      request = await requestObject(signed, challenge, {}, (await generateKeyPair('ES256')).privateKey);
    } else {
      const claims = {
        aud: { aud: 'https://other.example' },
        iss: { iss: 'someone-else' },
        exp: { iat: now - 7200, exp: now - 3600 },
        lifetime: { exp: now + 7200 },
        client_id: { client_id: 'another-client' },
        request_uri: { request_uri: 'https://app.example.com/r.jwt' },
      }[fault];
      request = await requestObject(signed, challenge, claims);
    }
    const page = await open(flow.browser, { client_id: signed.clientId, request, state: 'outer', redirect_uri: APP_REDIRECT });
    expectErrorPage(page);
  });

  it('refuses request_uri by reference (request_uri_not_supported), on a page', async () => {
    const page = await open(flow.browser, { client_id: signed.clientId, request_uri: 'https://app.example.com/request.jwt' });
    expectErrorPage(page);
    expect(page.body).toContain('request_uri is not supported');
  });

  it('takes a request object from a client that does not require one, and plain requests from it too', async () => {
    const client = await registerFlowClient(flow.server, { jwks: { keys: [jwk] } });
    const page = await open(new Browser(flow.server), { client_id: client.clientId, request: await requestObject(client, pkce().challenge) });
    expect(pageKind(page)).toBe('login');
    const plain = await open(new Browser(flow.server), {
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: APP_REDIRECT,
      scope: 'openid',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    expect(pageKind(plain)).toBe('login');
  });
});

describe('signed request objects pushed to /par (RFC 9126 §3)', () => {
  /** POSTs `fields` to `/par` as `client`, authenticated with HTTP Basic. */
  function push(client: FlowClient, fields: Record<string, string>): Promise<Response> {
    return flow.server.post('/par', fields, { headers: { Authorization: basic(client.clientId, client.clientSecret!) } });
  }

  it('verifies the object at push and uses only its parameters; the request_uri signs in a client that requires signed requests', async () => {
    const { verifier, challenge } = pkce();
    const refused = await push(signed, {
      response_type: 'code',
      redirect_uri: signed.redirectUri,
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_request' });
    const unsigned = await push(signed, {
      request: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ client_id: signed.clientId })).toString('base64url')}.`,
    });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ error: 'invalid_request_object' });

    const response = await push(signed, { request: await requestObject(signed, challenge), scope: 'openid email', state: 'outer-state' });
    expect(response.status).toBe(201);
    const { request_uri: requestUri } = (await response.json()) as { request_uri: string };
    const browser = new Browser(flow.server);
    let page = await open(browser, { client_id: signed.clientId, request_uri: requestUri });
    for (let step = 0; step < 3 && !page.location; step += 1) {
      page = pageKind(page) === 'login' ? await submitLogin(browser, page, flow.users.alice) : await browser.submit(page, {}, { button: 'approve' });
    }
    const callback = callbackParams(page);
    expect(callback.get('state')).toBe('inner-state');
    const tokens = await expectTokens(await redeemCode(flow.server, signed, callback.get('code')!, verifier));
    expect(tokens.scope!.split(' ').sort()).toEqual(['openid', 'profile']);
    expect(readIdToken(tokens.id_token!).claims.nonce).toBe('inner-nonce');
  });

  it('refuses at push, as JSON, a request object signed by another key', async () => {
    const other = await generateKeyPair('ES256');
    const response = await push(signed, { request: await requestObject(signed, pkce().challenge, {}, other.privateKey) });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.json()).toMatchObject({ error: 'invalid_request_object' });
  });
});
