/**
 * openid-client v6 (panva), an independent client, against Gatehouse with `private_key_jwt`
 * (RFC 7523, `client.PrivateKeyJwt`) and signed request objects (RFC 9101,
 * `client.buildAuthorizationUrlWithJAR`): sign-in with PKCE, the code exchange, refresh and
 * UserInfo, the client never holding a secret. The server runs in-process: openid-client and the
 * text browser (test/helpers/flow.ts) reach its fetch handler directly (no port, no child process).
 */
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient } from '../../src/server/admin/clients.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { Browser, pageKind, seedUsers, submitLogin, type TestUser } from '../helpers/flow.js';
import { inProcessFetch } from '../helpers/openid-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const REDIRECT_URI = 'https://rp.example/callback';
const SCOPE = 'openid profile email offline_access';

let t: TestServer;
let alice: TestUser;
let signingKey: { key: CryptoKey; kid: string };
let clientId: string;

beforeAll(async () => {
  // The server's clock at the real time: openid-client stamps and checks JWTs with the system's.
  t = await startServer({ clock: new FakeClock(Date.now()) });
  const users = await seedUsers(t.store);
  alice = users.alice;
  const pair = await generateKeyPair('ES256', { extractable: true });
  signingKey = { key: pair.privateKey, kid: 'rp-key-1' };
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: signingKey.kid, alg: 'ES256', use: 'sig' };
  const { client: registered, clientSecret } = await registerClient(
    t.store,
    t.secretKeys,
    {
      name: 'openid-client RP with keys',
      redirectUris: [REDIRECT_URI],
      authMethod: 'private_key_jwt',
      jwks: { keys: [jwk] },
      requireSignedRequestObject: true,
    },
    t.clock.now(),
  );
  expect(clientSecret).toBeNull();
  clientId = registered.clientId;
});

afterAll(() => t?.server.close());

describe('openid-client: private_key_jwt and a signed request object', () => {
  it('signs in (PKCE, JAR), redeems the code, refreshes and reads UserInfo', async () => {
    const config = await client.discovery(new URL(t.issuer), clientId, undefined, client.PrivateKeyJwt(signingKey), {
      execute: [client.allowInsecureRequests],
      [client.customFetch]: inProcessFetch(t.server),
    });
    const metadata = config.serverMetadata();
    expect(metadata.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(metadata.request_parameter_supported).toBe(true);
    expect(metadata.request_object_signing_alg_values_supported).toContain('ES256');

    const pkceCodeVerifier = client.randomPKCECodeVerifier();
    const expectedState = client.randomState();
    const expectedNonce = client.randomNonce();
    const url = await client.buildAuthorizationUrlWithJAR(
      config,
      {
        redirect_uri: REDIRECT_URI,
        scope: SCOPE,
        code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
        code_challenge_method: 'S256',
        state: expectedState,
        nonce: expectedNonce,
      },
      signingKey,
    );
    // Only client_id and the request object travel outside it.
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request']);

    const browser = new Browser(t);
    let page = await browser.open(url.href);
    const seen: string[] = [];
    for (let step = 0; step < 3 && !page.location; step += 1) {
      seen.push(pageKind(page));
      page = pageKind(page) === 'login' ? await submitLogin(browser, page, alice) : await browser.submit(page, {}, { button: 'approve' });
    }
    expect(seen).toEqual(['login', 'consent']);
    expect(page.location!.href.startsWith(REDIRECT_URI)).toBe(true);
    const tokens = await client.authorizationCodeGrant(config, page.location!, { pkceCodeVerifier, expectedState, expectedNonce });
    const sub = alice.record.id;
    expect(tokens.claims()).toMatchObject({ iss: t.issuer, sub, aud: clientId, nonce: expectedNonce });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    const userinfo = await client.fetchUserInfo(config, refreshed.access_token, sub);
    expect(userinfo).toMatchObject({ sub, email: 'alice@example.com' });

    // The same client authentication at introspection and revocation.
    expect(await client.tokenIntrospection(config, refreshed.access_token)).toMatchObject({ active: true, client_id: clientId });
    await client.tokenRevocation(config, refreshed.access_token);
    expect((await client.tokenIntrospection(config, refreshed.access_token)).active).toBe(false);
  });
});
