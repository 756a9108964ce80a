/**
 * Pushed authorization requests (RFC 9126) driven by an independent client library, openid-client
 * v6 (panva), over real HTTP against a Gatehouse listening on loopback that requires them of every
 * client (`par.required`): `buildAuthorizationUrlWithPAR` pushes (authenticated with Basic, or by
 * `client_id` alone for a public client), a text browser signs in and consents, and openid-client
 * redeems the code (checking `iss`, `state`, PKCE and the ID token itself), refreshes, and reads
 * UserInfo. A request it builds without PAR is refused.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, callbackParams, expectPage, registerFlowClient, seedUsers, submitLogin, type FlowClient, type TestUser } from '../../helpers/flow.js';
import { startIssuer, type RunningIssuer } from '../../resource/support.js';

const SCOPE = 'openid profile email offline_access';

let issuer: RunningIssuer;
let alice: TestUser;

beforeAll(async () => {
  issuer = await startIssuer({ server: { par: { required: true } } });
  alice = (await seedUsers(issuer.test.store)).alice;
});

afterAll(async () => {
  await issuer?.close();
});

function discover(registered: FlowClient): Promise<client.Configuration> {
  const secret = registered.clientSecret ?? undefined;
  const auth = secret === undefined ? client.None() : client.ClientSecretBasic(secret);
  // Plain http is fine here: the server listens on loopback only.
  return client.discovery(new URL(issuer.issuer), registered.clientId, secret, auth, { execute: [client.allowInsecureRequests] });
}

describe.each([
  { kind: 'confidential (client_secret_basic)', authMethod: 'client_secret_basic' as const },
  { kind: 'public (client_id only)', authMethod: 'none' as const },
])('openid-client buildAuthorizationUrlWithPAR, $kind client, PAR required', ({ authMethod }) => {
  it('signs in, refreshes and reads UserInfo; a request without PAR is refused', async () => {
    const registered = await registerFlowClient(issuer.test, { name: `PAR ${authMethod}`, authMethod, scope: SCOPE });
    const config = await discover(registered);
    const metadata = config.serverMetadata();
    expect(metadata.pushed_authorization_request_endpoint).toBe(`${issuer.issuer}/par`);
    expect(metadata.require_pushed_authorization_requests).toBe(true);

    const pkceCodeVerifier = client.randomPKCECodeVerifier();
    const expectedState = client.randomState();
    const expectedNonce = client.randomNonce();
    const parameters = {
      redirect_uri: registered.redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
      code_challenge_method: 'S256',
      state: expectedState,
      nonce: expectedNonce,
    };
    const url = await client.buildAuthorizationUrlWithPAR(config, parameters);
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);

    const browser = new Browser(issuer.test);
    let page = await browser.open(url.href);
    page = await submitLogin(browser, expectPage(page, 'login'), alice);
    page = await browser.submit(expectPage(page, 'consent'), {}, { button: 'approve' });
    callbackParams(page);
    const tokens = await client.authorizationCodeGrant(config, page.location!, { pkceCodeVerifier, expectedState, expectedNonce });
    expect(tokens.claims()?.sub).toBe(alice.record.id);
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    const userinfo = await client.fetchUserInfo(config, refreshed.access_token, alice.record.id);
    expect(userinfo).toMatchObject({ sub: alice.record.id, email: alice.record.email });

    // The same request sent straight to the authorization endpoint: refused (RFC 9126 §6), redirected with state.
    const plain = client.buildAuthorizationUrl(config, parameters);
    const refused = callbackParams(await new Browser(issuer.test).open(plain.href));
    expect(refused.get('error')).toBe('invalid_request');
    expect(refused.get('state')).toBe(expectedState);
  });
});
