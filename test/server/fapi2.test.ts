/**
 * The `fapi2` client profile (FAPI 2.0 Security Profile): openid-client v6, an independent client,
 * signs in as a FAPI 2.0 client would (private_key_jwt, PAR, PKCE, DPoP), refreshes without
 * rotation and reads UserInfo; what the profile forbids is refused at registration and at each
 * endpoint. The server runs in-process: openid-client and the text browser reach its fetch handler.
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient, type NewClientInput } from '../../src/server/admin/clients.js';
import { AdminInputError } from '../../src/server/admin/input-error.js';
import { dpopProof, newDpopKey } from '../helpers/dpop.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { Browser, pageKind, seedUsers, submitLogin, type TestUser } from '../helpers/flow.js';
import { inProcessFetch } from '../helpers/openid-client.js';
import { encodeForm, startServer, type TestServer } from '../helpers/server.js';

const REDIRECT_URI = 'https://bank-app.example/callback';

let t: TestServer;
let alice: TestUser;
let ecKey: { key: CryptoKey; kid: string };
let rsaKey: { key: CryptoKey; kid: string };
let fapiInput: NewClientInput;
let clientId: string;

beforeAll(async () => {
  // The server's clock at the real time: openid-client stamps and checks JWTs with the system's.
  t = await startServer({ clock: new FakeClock(Date.now()) });
  alice = (await seedUsers(t.store)).alice;
  const ec = await generateKeyPair('ES256', { extractable: true });
  const rsa = await generateKeyPair('RS256', { extractable: true });
  ecKey = { key: ec.privateKey, kid: 'ec-1' };
  rsaKey = { key: rsa.privateKey, kid: 'rsa-1' };
  const keys = [
    { ...(await exportJWK(ec.publicKey)), kid: ecKey.kid, use: 'sig' },
    { ...(await exportJWK(rsa.publicKey)), kid: rsaKey.kid, use: 'sig' },
  ];
  fapiInput = {
    name: 'Bank app',
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    scope: 'openid profile email offline_access accounts',
    authMethod: 'private_key_jwt',
    jwks: { keys },
    profile: 'fapi2',
  };
  clientId = (await registerClient(t.store, t.secretKeys, fapiInput, t.clock.now())).client.clientId;
});

afterAll(() => t?.server.close());

/** openid-client configured as the fapi2 client, authenticating with its EC key. */
function configure(): Promise<client.Configuration> {
  return client.discovery(new URL(t.issuer), clientId, undefined, client.PrivateKeyJwt(ecKey), {
    execute: [client.allowInsecureRequests],
    [client.customFetch]: inProcessFetch(t.server),
  });
}

/** Signs Alice in at `url` through the pages; the redirect back to the client. */
async function signIn(url: URL): Promise<URL> {
  const browser = new Browser(t);
  let page = await browser.open(url.href);
  for (let step = 0; step < 3 && !page.location; step += 1) {
    page = pageKind(page) === 'login' ? await submitLogin(browser, page, alice) : await browser.submit(page, {}, { button: 'approve' });
  }
  return page.location!;
}

/** A client assertion (RFC 7523) of the fapi2 client, signed with `key` under `alg`. */
function assertion(key: CryptoKey, kid: string, alg: string): Promise<string> {
  const now = Math.floor(t.clock.now() / 1000);
  return new SignJWT({ iss: clientId, sub: clientId, aud: t.issuer, jti: randomUUID(), iat: now, exp: now + 60 }).setProtectedHeader({ alg, kid }).sign(key);
}

describe('the fapi2 profile (FAPI 2.0 Security Profile)', () => {
  it('openid-client signs in with private_key_jwt, PAR, PKCE and DPoP; refreshes without rotation; reads UserInfo', async () => {
    const config = await configure();
    const dpopKeys = await client.randomDPoPKeyPair('ES256');
    const DPoP = client.getDPoPHandle(config, dpopKeys);
    const pkceCodeVerifier = client.randomPKCECodeVerifier();
    const expectedState = client.randomState();
    const expectedNonce = client.randomNonce();
    const url = await client.buildAuthorizationUrlWithPAR(
      config,
      {
        redirect_uri: REDIRECT_URI,
        scope: 'openid profile offline_access',
        code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
        code_challenge_method: 'S256',
        state: expectedState,
        nonce: expectedNonce,
      },
      { DPoP },
    );
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const callback = await signIn(url);
    expect(callback.searchParams.get('iss')).toBe(t.issuer);

    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier, expectedState, expectedNonce }, undefined, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(dpopKeys.publicKey));
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt });
    expect(tokens.claims()).toMatchObject({ iss: t.issuer, aud: clientId, nonce: expectedNonce });

    // §5.3.2.1: no rotation. The refresh response has no new refresh token; the first one works again.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
    expect(refreshed.refresh_token).toBeUndefined();
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });
    const again = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP });
    expect(again.access_token).not.toBe(refreshed.access_token);

    const sub = alice.record.id;
    expect(await client.fetchUserInfo(config, again.access_token, sub, { DPoP })).toMatchObject({ sub });
  });

  it('refuses an authorization request that was not pushed, and a push without redirect_uri', async () => {
    const config = await configure();
    const plain = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 'plain',
    });
    const refused = await new Browser(t).open(plain.href);
    expect(refused.location?.searchParams.get('error')).toBe('invalid_request');

    const push = await t.server.fetch(
      new Request(`${t.issuer}/par`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: encodeForm({
          client_id: clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: await assertion(ecKey.key, ecKey.kid, 'ES256'),
          response_type: 'code',
          scope: 'openid',
          code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        }),
      }),
    );
    expect(push.status).toBe(400);
    expect(await push.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses a token request without a DPoP proof, and a client assertion signed with RS256 (FAPI 2.0 5.4)', async () => {
    const key = await newDpopKey();
    const tokenRequest = async (clientAssertion: string, withProof: boolean) =>
      t.server.fetch(
        new Request(`${t.issuer}/token`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            ...(withProof ? { DPoP: await dpopProof(t, key, `${t.issuer}/token`) } : {}),
          },
          body: encodeForm({
            grant_type: 'client_credentials',
            scope: 'accounts',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: clientAssertion,
          }),
        }),
      );
    const noProof = await tokenRequest(await assertion(ecKey.key, ecKey.kid, 'ES256'), false);
    expect(noProof.status).toBe(400);
    expect(await noProof.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    const rs256 = await tokenRequest(await assertion(rsaKey.key, rsaKey.kid, 'RS256'), true);
    expect(rs256.status).toBe(401);
    expect(await rs256.json()).toMatchObject({ error: 'invalid_client' });
    const good = await tokenRequest(await assertion(ecKey.key, ecKey.kid, 'ES256'), true);
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ token_type: 'DPoP' });
  });

  it.each([
    ['a client secret', { authMethod: 'client_secret_basic', jwks: undefined }, 'auth-method'],
    ['an http redirect URI', { redirectUris: ['http://bank-app.example/callback'] }, 'redirect-uri'],
    ['RS256 ID tokens', { idTokenSignedResponseAlg: 'RS256' }, 'id-token-alg'],
    ['RS256 client assertions', { tokenEndpointAuthSigningAlg: 'RS256' }, 'token-endpoint-auth-signing-alg'],
    ['the device flow', { grantTypes: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'] }, 'grant'],
    ['the nonce exception to PKCE', { allowNonceWithoutPkce: true }, 'allow-nonce-without-pkce'],
    ['an unknown profile', { profile: 'fapi1' }, 'profile'],
  ] as const)('refuses to register a fapi2 client with %s', async (_, change, field) => {
    const input = { ...fapiInput, ...change } as NewClientInput;
    const refusal = await registerClient(t.store, t.secretKeys, input, t.clock.now()).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(AdminInputError);
    expect((refusal as AdminInputError).field).toBe(field);
  });
});
