/**
 * The one exception to "PKCE for every client" (OAuth 2.1 §7.5.2): a confidential OpenID client an
 * operator registered with `allowNonceWithoutPkce` may leave PKCE out of a request that sends a
 * `nonce`. Driven by openid-client v6 over loopback HTTP (it sends no `code_verifier` when given
 * none). The downgrade rules hold both ways (RFC 9700 §4.8.2): a code issued with a challenge needs
 * its verifier, a code issued without one refuses a verifier. Every other client still needs PKCE.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminInputError } from '../../src/server/admin/input-error.js';
import { Browser, expectPage, registerFlowClient, seedUsers, submitLogin, type FlowClient, type Page, type TestUser } from '../helpers/flow.js';
import { startIssuer, type RunningIssuer } from '../resource/support.js';

let issuer: RunningIssuer;
let alice: TestUser;
/** Confidential, registered with the exception. */
let certified: FlowClient;
/** Confidential, the default: PKCE always. */
let strict: FlowClient;

beforeAll(async () => {
  issuer = await startIssuer();
  alice = (await seedUsers(issuer.test.store)).alice;
  certified = await registerFlowClient(issuer.test, { name: 'Certification RP', allowNonceWithoutPkce: true });
  strict = await registerFlowClient(issuer.test, { name: 'Strict RP' });
});

afterAll(async () => {
  await issuer?.close();
});

function discover(rp: FlowClient): Promise<client.Configuration> {
  // Plain http is fine here: the server listens on loopback only.
  const auth = rp.clientSecret === null ? client.None() : client.ClientSecretBasic(rp.clientSecret);
  return client.discovery(new URL(issuer.issuer), rp.clientId, undefined, auth, { execute: [client.allowInsecureRequests] });
}

/** Opens `url` in a fresh browser, signs alice in and approves consent when asked: the page that leaves the server. */
async function aliceAt(url: URL): Promise<Page> {
  const browser = new Browser(issuer.test);
  let page = await browser.open(url.href);
  if (!page.location) page = await submitLogin(browser, expectPage(page, 'login'), alice);
  if (!page.location) page = await browser.submit(expectPage(page, 'consent'), {}, { button: 'approve' });
  return page;
}

/** An authorization request of `rp` with state and nonce (unless `withNonce` is false) and no PKCE, plus `extra`. */
function requestWithoutPkce(
  config: client.Configuration,
  rp: FlowClient,
  { withNonce = true, extra = {} }: { withNonce?: boolean; extra?: Record<string, string> } = {},
) {
  const expectedState = client.randomState();
  const expectedNonce = withNonce ? client.randomNonce() : undefined;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: rp.redirectUri,
    scope: 'openid email',
    state: expectedState,
    ...(expectedNonce ? { nonce: expectedNonce } : {}),
    ...extra,
  });
  return { url, expectedState, expectedNonce };
}

/** The error an openid-client call failed with: the server's `error` code. */
async function oauthError(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(client.ResponseBodyError);
  return (error as client.ResponseBodyError).error;
}

describe('a confidential OpenID client registered with the exception', () => {
  it('signs in with a nonce and no PKCE: openid-client gets tokens, the ID token carries the nonce; discovery still says S256 only', async () => {
    const config = await discover(certified);
    expect(config.serverMetadata().code_challenge_methods_supported).toEqual(['S256']);
    const { url, expectedState, expectedNonce } = requestWithoutPkce(config, certified);
    const callback = await aliceAt(url);
    const tokens = await client.authorizationCodeGrant(config, callback.location!, { expectedState, expectedNonce, pkceCodeVerifier: undefined });
    expect(tokens.claims()).toMatchObject({ sub: alice.record.id, nonce: expectedNonce });
  });

  it('without a nonce: refused with invalid_request (PKCE is then required)', async () => {
    const config = await discover(certified);
    const { url } = requestWithoutPkce(config, certified, { withNonce: false });
    const callback = (await aliceAt(url)).location!;
    expect(callback.searchParams.get('error')).toBe('invalid_request');
  });

  it('a code issued with a challenge needs its verifier: redeemed without one, invalid_grant (no PKCE downgrade)', async () => {
    const config = await discover(certified);
    const verifier = client.randomPKCECodeVerifier();
    const { url, expectedState, expectedNonce } = requestWithoutPkce(config, certified, {
      extra: { code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' },
    });
    const callback = (await aliceAt(url)).location!;
    expect(await oauthError(client.authorizationCodeGrant(config, callback, { expectedState, expectedNonce }))).toBe('invalid_grant');
  });

  it('a code issued without a challenge refuses a verifier: invalid_grant', async () => {
    const config = await discover(certified);
    const { url, expectedState, expectedNonce } = requestWithoutPkce(config, certified);
    const callback = (await aliceAt(url)).location!;
    const pkceCodeVerifier = client.randomPKCECodeVerifier();
    expect(await oauthError(client.authorizationCodeGrant(config, callback, { expectedState, expectedNonce, pkceCodeVerifier }))).toBe('invalid_grant');
  });
});

describe('every other client still needs PKCE', () => {
  it('a confidential client without the exception: a request with a nonce and no PKCE is refused (invalid_request)', async () => {
    const config = await discover(strict);
    const callback = (await aliceAt(requestWithoutPkce(config, strict).url)).location!;
    expect(callback.searchParams.get('error')).toBe('invalid_request');
  });

  it('a public client: the exception cannot be registered, and its request without PKCE is refused', async () => {
    await expect(registerFlowClient(issuer.test, { name: 'SPA', authMethod: 'none', allowNonceWithoutPkce: true })).rejects.toBeInstanceOf(AdminInputError);
    const spa = await registerFlowClient(issuer.test, { name: 'SPA', authMethod: 'none', redirectUris: ['http://127.0.0.1:9/callback'] });
    const config = await discover(spa);
    const callback = (await aliceAt(requestWithoutPkce(config, spa).url)).location!;
    expect(callback.searchParams.get('error')).toBe('invalid_request');
  });
});
