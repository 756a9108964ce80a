/**
 * The `github()` preset against a local fake of github.com (test/fakes/fake-github.ts): the
 * documented quirks the preset exists for — token endpoint content negotiation and HTTP-200
 * errors, the verified primary address from /user/emails, expiring user tokens with rotating
 * refresh tokens, and revocation through DELETE /applications/{client_id}/token.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMemoryTokenStore,
  createOAuthClient,
  github,
  OAuthProviderError,
  OAuthValidationError,
  SessionExpiredError,
  type OAuthClient,
  type OAuthClientOptions,
} from '../../../src/client/index.js';
import { callbackRequest, CookieJar, cookieHeader, providerRedirect } from '../../fakes/browser.js';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from '../../fakes/fake-github.js';

const REDIRECT_URI = 'https://app.example/auth/github/callback';
const SECRET = 'x'.repeat(40);

let fake: FakeGitHub | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setUp(
  fakeOptions: Partial<FakeGitHubOptions> = {},
  clientOptions: Partial<OAuthClientOptions> = {},
): Promise<{ fake: FakeGitHub; client: OAuthClient }> {
  fake = await startFakeGitHub({ callbackUrl: REDIRECT_URI, ...fakeOptions });
  const client = createOAuthClient({
    // A GitHub Enterprise-style base URL: the preset derives the API root `{baseUrl}/api/v3`.
    provider: github({ baseUrl: fake.baseUrl }),
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    redirectUri: REDIRECT_URI,
    secret: SECRET,
    allowInsecureRequests: true,
    ...clientOptions,
  });
  return { fake, client };
}

/** Authorization URL -> GitHub approves -> callback; returns the callback's result. */
async function signIn(client: OAuthClient, options: Parameters<OAuthClient['authorizationUrl']>[0] = {}) {
  const { url, setCookie } = await client.authorizationUrl(options);
  const location = await providerRedirect(url);
  return client.handleCallback(callbackRequest(location, [setCookie]));
}

/** A request carrying the session cookies the application set. */
function withCookies(setCookies: string[]): Request {
  return new Request('https://app.example/', { headers: { cookie: cookieHeader(setCookies) } });
}

describe('github(): sign-in', () => {
  it('sends the user to /login/oauth/authorize with PKCE and comes back with a session', async () => {
    const { fake, client } = await setUp();
    const { url, setCookie } = await client.authorizationUrl();
    expect(url.origin + url.pathname).toBe(`${fake.baseUrl}/login/oauth/authorize`);
    expect(url.searchParams.get('client_id')).toBe(fake.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(url.searchParams.get('scope')).toBe('read:user user:email');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toBeTruthy();
    // Not OpenID Connect: no nonce.
    expect(url.searchParams.has('nonce')).toBe(false);

    const location = await providerRedirect(url);
    const back = new URL(location);
    expect(back.origin + back.pathname).toBe(REDIRECT_URI);
    expect(back.searchParams.get('state')).toBe(url.searchParams.get('state'));
    expect(back.searchParams.has('iss')).toBe(false);

    const result = await client.handleCallback(callbackRequest(location, [setCookie]));
    expect(result.tokens.accessToken).toMatch(/^gho_/);
    expect(result.tokens.tokenType).toBe('bearer');
    expect(result.tokens.expiresAt).toBeUndefined();
    expect(result.tokens.refreshToken).toBeUndefined();
    expect(result.idTokenClaims).toBeUndefined();
    expect(result.session.provider).toBe('github');
    expect(fake.isActive(result.tokens.accessToken)).toBe(true);

    const session = await client.getSession(withCookies(result.setCookies));
    expect(session?.profile.sub).toBe(String(fake.user.id));
    expect(session?.tokens.accessToken).toBe(result.tokens.accessToken);
  });

  it('asks the token endpoint for JSON and authenticates with the PKCE verifier', async () => {
    const { fake, client } = await setUp();
    await signIn(client);
    const [tokenRequest] = fake.tokenRequests();
    expect(tokenRequest).toBeDefined();
    expect(tokenRequest!.headers.get('accept')).toContain('application/json');
    expect(tokenRequest!.form?.get('code')).toBeTruthy();
    expect(tokenRequest!.form?.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(tokenRequest!.form?.get('redirect_uri')).toBe(REDIRECT_URI);
  });

  it('works with client_secret_post, the parameters GitHub documents', async () => {
    const { fake, client } = await setUp({}, { clientAuthMethod: 'client_secret_post' });
    const result = await signIn(client);
    expect(result.profile.sub).toBe(String(fake.user.id));
    const [tokenRequest] = fake.tokenRequests();
    expect(tokenRequest!.headers.get('authorization')).toBeNull();
    expect(tokenRequest!.form?.get('client_id')).toBe(fake.clientId);
    expect(tokenRequest!.form?.get('client_secret')).toBe(fake.clientSecret);
  });

  it('finds the REST API at an explicit apiUrl', async () => {
    fake = await startFakeGitHub({ callbackUrl: REDIRECT_URI });
    const client = createOAuthClient({
      provider: github({ baseUrl: fake.baseUrl, apiUrl: `${fake.baseUrl}/` }),
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      redirectUri: REDIRECT_URI,
      secret: SECRET,
      allowInsecureRequests: true,
    });
    const result = await signIn(client);
    expect(result.profile.email).toBe('octocat@github.com');
    expect(fake.requests.map((request) => request.path)).toEqual(expect.arrayContaining(['/user', '/user/emails']));
  });
});

describe('github(): profile', () => {
  it('takes the primary verified address from /user/emails, name, picture and sub = String(id)', async () => {
    const { fake, client } = await setUp();
    const { profile } = await signIn(client);
    expect(profile).toMatchObject({
      provider: 'github',
      sub: '1234567',
      email: 'octocat@github.com',
      emailVerified: true,
      name: 'The Octocat',
      picture: fake.user.avatarUrl,
    });
    expect(typeof profile.sub).toBe('string');
    const apiCalls = fake.requests.filter((request) => request.path.startsWith('/api/v3/'));
    expect(apiCalls.map((request) => request.path)).toEqual(['/api/v3/user', '/api/v3/user/emails']);
    for (const call of apiCalls) expect(call.headers.get('authorization')).toMatch(/^Bearer gho_/);
  });

  it('does not take an unverified primary address, nor a verified secondary one', async () => {
    const { client } = await setUp({
      user: {
        emails: [
          { email: 'unverified-primary@example.com', primary: true, verified: false },
          { email: 'verified-secondary@example.com', primary: false, verified: true },
        ],
      },
    });
    const { profile } = await signIn(client);
    expect(profile.email).not.toBe('unverified-primary@example.com');
    expect(profile.email).not.toBe('verified-secondary@example.com');
    expect(profile.email).toBeUndefined();
    expect(profile.emailVerified).toBe(false);
  });

  it('falls back to the login when the user has no display name', async () => {
    const { client } = await setUp({ user: { name: null, login: 'nameless' } });
    const { profile } = await signIn(client);
    expect(profile.name).toBe('nameless');
  });

  it('without the user:email scope, uses the public email and does not call it verified', async () => {
    const { fake, client } = await setUp({ user: { publicEmail: 'octo@public.example' } });
    const { profile } = await signIn(client, { scopes: ['read:user'] });
    const emails = fake.requests.find((request) => request.path === '/api/v3/user/emails');
    expect(emails).toBeDefined();
    expect(profile.email).toBe('octo@public.example');
    expect(profile.emailVerified).toBe(false);
    expect(profile.sub).toBe(String(fake.user.id));
  });
});

describe('github(): errors', () => {
  it("a bad code is an OAuthProviderError with GitHub's code, though GitHub answers HTTP 200", async () => {
    const { fake, client } = await setUp();
    const { url, setCookie } = await client.authorizationUrl();
    const location = new URL(await providerRedirect(url));
    location.searchParams.set('code', 'not-a-code');
    const error = await client.handleCallback(callbackRequest(location.href, [setCookie])).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OAuthProviderError);
    expect(error).not.toBeInstanceOf(OAuthValidationError);
    expect(error).toMatchObject({ error: 'bad_verification_code', errorDescription: 'The code passed is incorrect or expired.' });
    // The error came from the token endpoint (which answers it with HTTP 200), not the callback.
    expect(fake.tokenRequests()).toHaveLength(1);
  });

  it('a replayed callback fails at GitHub (single-use code) with bad_verification_code', async () => {
    const { client } = await setUp();
    const { url, setCookie } = await client.authorizationUrl();
    const location = await providerRedirect(url);
    await client.handleCallback(callbackRequest(location, [setCookie]));
    await expect(client.handleCallback(callbackRequest(location, [setCookie]))).rejects.toMatchObject({
      name: 'OAuthProviderError',
      error: 'bad_verification_code',
    });
  });

  it('a wrong client secret is an OAuthProviderError incorrect_client_credentials', async () => {
    const { client } = await setUp({}, { clientSecret: 'wrong-secret' });
    const error = await signIn(client).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OAuthProviderError);
    expect((error as OAuthProviderError).error).toBe('incorrect_client_credentials');
  });

  it('the user cancelling is an OAuthProviderError access_denied', async () => {
    const { fake, client } = await setUp();
    fake.denyAccess = true;
    const error = await signIn(client).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OAuthProviderError);
    expect((error as OAuthProviderError).error).toBe('access_denied');
    expect(fake.tokenRequests()).toHaveLength(0);
  });
});

describe('github(): expiring user tokens (GitHub Apps)', () => {
  it('keeps expires_in, the refresh token and refresh_token_expires_in', async () => {
    const { client } = await setUp({ expiringTokens: true });
    const before = Date.now();
    const { tokens } = await signIn(client);
    expect(tokens.accessToken).toMatch(/^ghu_/);
    expect(tokens.refreshToken).toMatch(/^ghr_/);
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(before + 28_800_000);
    expect(tokens.expiresAt).toBeLessThanOrEqual(Date.now() + 28_800_000);
    expect(tokens.refreshTokenExpiresAt).toBeGreaterThanOrEqual(before + 15_897_600_000);
  });

  it('does not refresh a token far from expiry', async () => {
    const { fake, client } = await setUp({ expiringTokens: true });
    const { session, tokens } = await signIn(client);
    await expect(client.getAccessToken(session)).resolves.toBe(tokens.accessToken);
    expect(fake.tokenRequests()).toHaveLength(1);
  });

  it('refreshes before expiry and the cookie session keeps the rotated refresh token', async () => {
    // Leeway beyond the 8-hour lifetime: every access token counts as about to expire.
    const { fake, client } = await setUp({ expiringTokens: true }, { refreshLeeway: 30_000 });
    const signedIn = await signIn(client);
    const session = (await client.getSession(withCookies(signedIn.setCookies)))!;
    const first = { ...session.tokens };

    const accessToken = await client.getAccessToken(session);
    expect(accessToken).not.toBe(first.accessToken);
    expect(accessToken).toMatch(/^ghu_/);
    const refreshRequest = fake.tokenRequests().at(-1)!;
    expect(refreshRequest.form?.get('grant_type')).toBe('refresh_token');
    expect(refreshRequest.form?.get('refresh_token')).toBe(first.refreshToken);
    expect(refreshRequest.headers.get('accept')).toContain('application/json');

    expect(session.tokens.refreshToken).toMatch(/^ghr_/);
    expect(session.tokens.refreshToken).not.toBe(first.refreshToken);
    // GitHub: the used refresh token and the old access token stop working.
    expect(fake.isActive(first.accessToken)).toBe(false);
    expect(fake.isActive(accessToken)).toBe(true);

    const committed = await client.commitSession(session);
    expect(committed.length).toBeGreaterThan(0);
    const reloaded = (await client.getSession(withCookies(committed)))!;
    expect(reloaded.tokens.accessToken).toBe(accessToken);
    expect(reloaded.tokens.refreshToken).toBe(session.tokens.refreshToken);

    // The rotated refresh token is the one that works next time.
    const again = await client.getAccessToken(reloaded);
    expect(again).not.toBe(accessToken);
    expect(fake.tokenRequests().at(-1)!.form?.get('refresh_token')).toBe(session.tokens.refreshToken);
  });

  it('a token store keeps the rotated refresh token', async () => {
    const tokenStore = createMemoryTokenStore();
    const { client } = await setUp({ expiringTokens: true }, { refreshLeeway: 30_000, tokenStore });
    const signedIn = await signIn(client);
    const session = (await client.getSession(withCookies(signedIn.setCookies)))!;
    await client.getAccessToken(session);
    const stored = await tokenStore.get(session.id);
    expect(stored?.tokens.refreshToken).toBe(session.tokens.refreshToken);
    expect(stored?.tokens.refreshToken).not.toBe(signedIn.tokens.refreshToken);
  });

  it('concurrent callers share one refresh: GitHub would reject the second use of a rotated token', async () => {
    const { fake, client } = await setUp({ expiringTokens: true }, { refreshLeeway: 30_000 });
    const { session } = await signIn(client);
    const tokens = await Promise.all([client.getAccessToken(session), client.getAccessToken(session), client.getAccessToken(session)]);
    expect(new Set(tokens).size).toBe(1);
    expect(fake.tokenRequests().filter((request) => request.form?.get('grant_type') === 'refresh_token')).toHaveLength(1);
  });

  it('a refresh token GitHub no longer accepts (bad_refresh_token) ends the session: SessionExpiredError', async () => {
    // GitHub reports a used, expired or revoked refresh token as `bad_refresh_token` (HTTP 200),
    // not RFC 6749's `invalid_grant`; the client should still tell the app to sign the user in again.
    const tokenStore = createMemoryTokenStore();
    const { fake, client } = await setUp({ expiringTokens: true }, { refreshLeeway: 30_000, tokenStore });
    const { session } = await signIn(client);
    fake.expireRefreshTokens();
    const error = await client.getAccessToken(session).catch((caught: unknown) => caught);
    expect(fake.tokenRequests().at(-1)!.form?.get('grant_type')).toBe('refresh_token');
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect(await tokenStore.get(session.id)).toBeUndefined();
  });
});

describe('github(): logout', () => {
  it('deletes the token through DELETE /applications/{client_id}/token with Basic auth', async () => {
    const { fake, client } = await setUp();
    const signedIn = await signIn(client);
    const result = await client.logout(withCookies(signedIn.setCookies));
    expect(result.revoked).toBe(true);
    // GitHub has no RP-initiated logout.
    expect(result.redirectUrl).toBeUndefined();
    expect(result.setCookies.length).toBeGreaterThan(0);
    expect(result.setCookies.every((header) => header.includes('Max-Age=0'))).toBe(true);

    const deletes = fake.requests.filter((request) => request.method === 'DELETE');
    expect(deletes).toHaveLength(1);
    const [request] = deletes;
    expect(request!.path).toBe(`/api/v3/applications/${fake.clientId}/token`);
    const basic = request!.headers.get('authorization')!;
    expect(basic).toMatch(/^Basic /);
    expect(Buffer.from(basic.slice(6), 'base64').toString()).toBe(`${fake.clientId}:${fake.clientSecret}`);
    expect(request!.headers.get('content-type')).toContain('application/json');
    expect(request!.json).toEqual({ access_token: signedIn.tokens.accessToken });

    expect(fake.revoked).toEqual([signedIn.tokens.accessToken]);
    expect(fake.isActive(signedIn.tokens.accessToken)).toBe(false);
    const jar = new CookieJar().set(signedIn.setCookies);
    expect(await client.getSession(jar.request('https://app.example/'))).toBeDefined();
    jar.set(result.setCookies);
    expect(jar.cookies.size).toBe(0);
    expect(await client.getSession(jar.request('https://app.example/'))).toBeUndefined();
  });

  it('revokes the access token of an expiring-token session too', async () => {
    const { fake, client } = await setUp({ expiringTokens: true });
    const signedIn = await signIn(client);
    await client.logout(withCookies(signedIn.setCookies));
    expect(fake.revoked).toContain(signedIn.tokens.accessToken);
    expect(fake.isActive(signedIn.tokens.accessToken)).toBe(false);
  });
});
