/**
 * The `google()` preset against a local fake of Google's OpenID provider
 * (test/fakes/fake-google.ts): discovery, the ID token as the profile's source, refresh tokens
 * only with `offline: true` (access_type=offline + prompt=consent), refresh without rotation, and
 * RFC 7009 revocation at logout.
 */
import { decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMemoryTokenStore,
  createOAuthClient,
  google,
  SessionExpiredError,
  type OAuthClient,
  type OAuthClientOptions,
} from '../../../src/client/index.js';
import { callbackRequest, CookieJar, providerRedirect } from '../../fakes/browser.js';
import { startFakeGoogle, type FakeGoogle, type FakeGoogleOptions } from '../../fakes/fake-google.js';

const REDIRECT_URI = 'https://app.example/auth/google/callback';
const SECRET = 'x'.repeat(40);

let fake: FakeGoogle | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setUp(
  fakeOptions: Partial<FakeGoogleOptions> = {},
  clientOptions: Partial<OAuthClientOptions> = {},
  presetOptions: Parameters<typeof google>[0] = {},
): Promise<{ fake: FakeGoogle; client: OAuthClient }> {
  fake = await startFakeGoogle({ redirectUris: [REDIRECT_URI], ...fakeOptions });
  const client = createOAuthClient({
    provider: google({ issuer: fake.issuer, ...presetOptions }),
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    redirectUri: REDIRECT_URI,
    secret: SECRET,
    allowInsecureRequests: true,
    ...clientOptions,
  });
  return { fake, client };
}

async function signIn(client: OAuthClient) {
  const { url, setCookie } = await client.authorizationUrl();
  const location = await providerRedirect(url);
  return client.handleCallback(callbackRequest(location, [setCookie]));
}

describe('google(): sign-in through discovery', () => {
  it('discovers the endpoints, sends nonce and PKCE, and validates the ID token', async () => {
    const { fake, client } = await setUp();
    const { url, setCookie } = await client.authorizationUrl();
    expect(fake.requests[0]?.path).toBe('/.well-known/openid-configuration');
    expect(url.origin + url.pathname).toBe(`${fake.issuer}/o/oauth2/v2/auth`);
    expect(url.searchParams.get('scope')).toBe('openid email profile');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('nonce')).toBeTruthy();
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.has('access_type')).toBe(false);
    expect(url.searchParams.has('prompt')).toBe(false);

    const location = await providerRedirect(url);
    expect(new URL(location).searchParams.get('iss')).toBe(fake.issuer);
    const before = Date.now();
    const result = await client.handleCallback(callbackRequest(location, [setCookie]));

    expect(result.idTokenClaims).toMatchObject({
      iss: fake.issuer,
      aud: fake.clientId,
      azp: fake.clientId,
      sub: fake.user.sub,
      nonce: url.searchParams.get('nonce'),
    });
    expect(result.tokens.idToken).toBeDefined();
    expect(decodeProtectedHeader(result.tokens.idToken!).alg).toBe('RS256');
    expect(result.tokens.accessToken).toMatch(/^ya29\./);
    expect(result.tokens.tokenType).toBe('bearer');
    expect(result.tokens.expiresAt).toBeGreaterThanOrEqual(before + 3_599_000);
    expect(result.tokens.refreshToken).toBeUndefined();
    expect(result.session).toMatchObject({ provider: 'google', issuer: fake.issuer });
    // Discovery once per client, not per step.
    expect(fake.requests.filter((request) => request.path === '/.well-known/openid-configuration')).toHaveLength(1);
  });

  it('validates ES256 ID tokens from the published JWKS', async () => {
    const { client } = await setUp({ signingAlg: 'ES256' });
    const result = await signIn(client);
    expect(decodeProtectedHeader(result.tokens.idToken!).alg).toBe('ES256');
    expect(result.profile.sub).toBe('110169484474386276334');
  });

  it('authenticates at the token endpoint with client_secret_basic by default, client_secret_post on request', async () => {
    const basic = await setUp();
    await signIn(basic.client);
    const [basicRequest] = basic.fake.tokenRequests();
    expect(basicRequest!.headers.get('authorization')).toMatch(/^Basic /);
    expect(basicRequest!.form?.has('client_secret')).toBe(false);
    await basic.fake.close();

    const post = await setUp({}, { clientAuthMethod: 'client_secret_post' });
    await signIn(post.client);
    const [postRequest] = post.fake.tokenRequests();
    expect(postRequest!.headers.get('authorization')).toBeNull();
    expect(postRequest!.form?.get('client_secret')).toBe(post.fake.clientSecret);
  });

  it('sends hd for a Workspace domain', async () => {
    const { client } = await setUp({}, {}, { hostedDomain: 'example.com' });
    const { url } = await client.authorizationUrl();
    expect(url.searchParams.get('hd')).toBe('example.com');
  });
});

describe('google(): profile', () => {
  it('comes from the ID token claims, without a UserInfo call', async () => {
    const { fake, client } = await setUp();
    const { profile } = await signIn(client);
    expect(profile).toMatchObject({
      provider: 'google',
      sub: fake.user.sub,
      email: fake.user.email,
      emailVerified: true,
      name: fake.user.name,
      picture: fake.user.picture,
    });
    expect(fake.userinfoRequests()).toHaveLength(0);
  });

  it('an unverified address is not called verified', async () => {
    const { client } = await setUp({ user: { email: 'new@example.com', email_verified: false } });
    const { profile } = await signIn(client);
    expect(profile.email).toBe('new@example.com');
    expect(profile.emailVerified).toBe(false);
  });

  it('completes a sparse ID token from UserInfo', async () => {
    const { fake, client } = await setUp({}, { scopes: ['openid', 'email'] });
    const { profile, idTokenClaims } = await signIn(client);
    expect(idTokenClaims?.name).toBeUndefined();
    expect(fake.userinfoRequests()).toHaveLength(1);
    expect(fake.userinfoRequests()[0]!.headers.get('authorization')).toMatch(/^Bearer ya29\./);
    expect(profile.email).toBe(fake.user.email);
    expect(profile.sub).toBe(fake.user.sub);
  });

  it('fetchUserInfo returns the claims of the session user', async () => {
    const { fake, client } = await setUp();
    const { session } = await signIn(client);
    await expect(client.fetchUserInfo(session)).resolves.toMatchObject({ sub: fake.user.sub, email: fake.user.email, name: fake.user.name });
  });
});

describe('google(): refresh tokens', () => {
  it('offline: true sends access_type=offline&prompt=consent and gets a refresh token', async () => {
    const { fake, client } = await setUp({}, {}, { offline: true });
    const { url, setCookie } = await client.authorizationUrl();
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('prompt')).toBe('consent');
    const result = await client.handleCallback(callbackRequest(await providerRedirect(url), [setCookie]));
    expect(result.tokens.refreshToken).toMatch(/^1\/\/0/);
    expect(fake.isActive(result.tokens.refreshToken!)).toBe(true);
  });

  it('without offline there is no refresh token, and an expiring token ends the session', async () => {
    const { fake, client } = await setUp({}, { refreshLeeway: 10_000 });
    const { tokens, session } = await signIn(client);
    expect(fake.authorizationRequests[0]!.has('access_type')).toBe(false);
    expect(tokens.refreshToken).toBeUndefined();
    await expect(client.getAccessToken(session)).rejects.toBeInstanceOf(SessionExpiredError);
  });

  it('refreshes before expiry and keeps the refresh token Google does not rotate', async () => {
    const tokenStore = createMemoryTokenStore();
    const { fake, client } = await setUp({}, { refreshLeeway: 10_000, tokenStore }, { offline: true });
    const signedIn = await signIn(client);
    const jar = new CookieJar().set(signedIn.setCookies);
    const session = (await client.getSession(jar.request('https://app.example/')))!;
    const first = { ...session.tokens };

    const accessToken = await client.getAccessToken(session);
    expect(accessToken).not.toBe(first.accessToken);
    const refresh = fake.tokenRequests().at(-1)!;
    expect(refresh.form?.get('grant_type')).toBe('refresh_token');
    expect(refresh.form?.get('refresh_token')).toBe(first.refreshToken);
    // Google's refresh response has a new ID token for the same user and no refresh token.
    expect(session.tokens.refreshToken).toBe(first.refreshToken);
    expect(session.tokens.idToken).not.toBe(first.idToken);
    expect((await tokenStore.get(session.id))?.tokens.accessToken).toBe(accessToken);
  });
});

describe('google(): logout', () => {
  it('revokes at the revocation endpoint; Google has no end_session_endpoint', async () => {
    const { fake, client } = await setUp();
    const signedIn = await signIn(client);
    const jar = new CookieJar().set(signedIn.setCookies);
    const result = await client.logout(jar.request('https://app.example/'));
    expect(result.redirectUrl).toBeUndefined();
    expect(result.revoked).toBe(true);
    const revocations = fake.requests.filter((request) => request.path === '/revoke');
    expect(revocations.map((request) => request.form?.get('token'))).toEqual([signedIn.tokens.accessToken]);
    expect(fake.isActive(signedIn.tokens.accessToken)).toBe(false);
  });

  it('an offline session: revoking the refresh token ends the whole grant, and logout reports it revoked', async () => {
    // Google answers 400 invalid_token for a token that is already revoked. Revoking the refresh
    // token first (as the client does) revokes the access token with it, so the second request
    // is refused although nothing is left to revoke.
    const { fake, client } = await setUp({}, {}, { offline: true });
    const signedIn = await signIn(client);
    const jar = new CookieJar().set(signedIn.setCookies);
    const result = await client.logout(jar.request('https://app.example/'));
    const revocations = fake.requests.filter((request) => request.path === '/revoke');
    expect(revocations[0]!.form?.get('token')).toBe(signedIn.tokens.refreshToken);
    expect(fake.isActive(signedIn.tokens.refreshToken!)).toBe(false);
    expect(fake.isActive(signedIn.tokens.accessToken)).toBe(false);
    expect(result.revoked).toBe(true);
  });
});
