/**
 * Our client against an independent, OpenID-certified provider: panva's oidc-provider v9, on
 * loopback http (hence `allowInsecureRequests: true` on our side). Its development login and
 * consent pages (`features.devInteractions`, on by default: any login, any password, then a
 * consent form) are driven by the test user agent.
 *
 * Provider set-up, per its defaults file: a confidential client (client_secret_basic) with the
 * authorization_code and refresh_token grants; refresh tokens are issued for `offline_access`,
 * which oidc-provider honours only with `prompt=consent`; PKCE (S256) is what our client always
 * sends; RFC 7009 revocation is enabled; `rotateRefreshToken: true` so rotation is exercised;
 * Back-Channel Logout 1.0 is enabled and the client's `backchannel_logout_uri` points at a small
 * loopback server that hands the request to our client's `backchannelLogout`.
 */
import { createServer, type Server } from 'node:http';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryTokenStore, createOAuthClient, oidc, type OAuthClient, type TokenStore } from '../../../src/client/index.js';
import { UserAgent } from '../../helpers/user-agent.js';
import { CookieJar } from '../../fakes/browser.js';
import { close, listen, signInAtProvider } from './oidc-provider-helpers.js';

const REDIRECT_URI = 'https://app.example/auth/callback';
const POST_LOGOUT_REDIRECT_URI = 'https://app.example/signed-out';
const CLIENT_ID = 'gatehouse-rp';
// Characters that RFC 6749 §2.3.1 says must be form-urlencoded inside the Basic header.
const CLIENT_SECRET = 'secret with spaces+plus:colon%percent/slash=equals';
const SECRET = 'x'.repeat(40);

let server: Server;
let issuer: string;
/** The application's back-channel logout endpoint, and which client instance answers it. */
let app: Server;
let backchannelClient: OAuthClient | undefined;
const backchannelStatuses: number[] = [];

beforeAll(async () => {
  app = createServer((incoming, outgoing) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of incoming) chunks.push(chunk as Buffer);
      const request = new Request(`http://127.0.0.1${incoming.url ?? '/'}`, {
        method: incoming.method ?? 'GET',
        headers: { 'content-type': incoming.headers['content-type'] ?? '' },
        ...(incoming.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
      });
      const response = backchannelClient ? await backchannelClient.backchannelLogout(request) : new Response(null, { status: 404 });
      backchannelStatuses.push(response.status);
      outgoing.writeHead(response.status, Object.fromEntries(response.headers));
      outgoing.end(Buffer.from(await response.arrayBuffer()));
    })();
  });
  const appUrl = await listen(app);
  // The issuer names the port, so listen first and hand requests to the provider once it exists.
  server = createServer();
  issuer = await listen(server);
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [REDIRECT_URI],
        post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        backchannel_logout_uri: `${appUrl}/auth/backchannel-logout`,
        backchannel_logout_session_required: true,
      },
    ],
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, email: `${sub}@example.com`, email_verified: true, name: `User ${sub}` }),
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true, allowedPolicy: () => true },
      backchannelLogout: { enabled: true },
    },
    // Explicit lifetimes (oidc-provider asks for them instead of its defaults).
    ttl: { AccessToken: 3600, IdToken: 3600, RefreshToken: 86_400, Grant: 86_400, Session: 86_400, Interaction: 600, AuthorizationCode: 60 },
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-rs256', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['oidc-provider-test-cookie-key-0123456789'] },
    rotateRefreshToken: true,
    // oidc-provider's outgoing requests refuse loopback addresses (SSRF protection, a dispatcher it
    // adds to the options); its documented `fetch` hook lets the test deliver the back-channel
    // logout to the application on 127.0.0.1.
    fetch: (url: string | URL, options: RequestInit & { dispatcher?: unknown }) => {
      const { dispatcher: _ssrfGuard, ...rest } = options;
      return globalThis.fetch(url, rest);
    },
  });
  server.on('request', provider.callback());
});

afterAll(async () => {
  for (const target of [server, app]) await close(target);
});

function makeClient(options: { refreshLeeway?: number; tokenStore?: TokenStore } = {}): OAuthClient {
  return createOAuthClient({
    provider: oidc(issuer, { scopes: ['openid', 'email', 'profile', 'offline_access'] }),
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT_URI,
    postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI,
    secret: SECRET,
    allowInsecureRequests: true,
    ...options,
  });
}

const toApp = (location: string) => location.startsWith(REDIRECT_URI) || location.startsWith(POST_LOGOUT_REDIRECT_URI);

async function signIn(client: OAuthClient, login = 'alice') {
  const { url, setCookie } = await client.authorizationUrl({ prompt: 'consent' });
  const ua = new UserAgent();
  const { callback, pages } = await signInAtProvider(ua, url, login, toApp);
  const result = await client.handleCallback(new Request(callback, { headers: { cookie: setCookie.split(';')[0]! } }));
  return { ...result, url, callback, pages, ua };
}

describe('our client against oidc-provider', () => {
  it('signs in through its login and consent pages; the ID token validates and names the user', async () => {
    const client = makeClient();
    const { url, callback, pages, idTokenClaims, profile, tokens, session } = await signIn(client, 'alice');
    expect(pages).toEqual(['login', 'consent']);
    expect(url.origin).toBe(issuer);
    // oidc-provider sends iss (RFC 9207) and advertises it; our client checked it.
    expect(new URL(callback).searchParams.get('iss')).toBe(issuer);

    expect(idTokenClaims).toMatchObject({ iss: issuer, aud: CLIENT_ID, sub: 'alice', nonce: url.searchParams.get('nonce') });
    expect(decodeJwt(tokens.idToken!).sub).toBe('alice');
    expect(profile).toMatchObject({ provider: 'oidc', sub: 'alice', email: 'alice@example.com', emailVerified: true, name: 'User alice' });
    expect(session.issuer).toBe(issuer);
    // `sid` because the client registered for back-channel logout with sessions required.
    expect(session.sid).toEqual(expect.any(String));
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(tokens.expiresAt).toBeGreaterThan(Date.now());
  });

  it('fetchUserInfo returns the claims of the session user', async () => {
    const client = makeClient();
    const { session } = await signIn(client, 'bob');
    await expect(client.fetchUserInfo(session)).resolves.toMatchObject({ sub: 'bob', email: 'bob@example.com' });
  });

  it('refreshes before expiry with getAccessToken, keeping the rotated refresh token', async () => {
    // oidc-provider's access tokens live an hour: a leeway of two hours refreshes at once.
    const client = makeClient({ refreshLeeway: 7200 });
    const signedIn = await signIn(client, 'carol');
    const jar = new CookieJar().set(signedIn.setCookies);
    const session = (await client.getSession(jar.request(REDIRECT_URI)))!;
    const first = { ...session.tokens };

    const accessToken = await client.getAccessToken(session);
    expect(accessToken).not.toBe(first.accessToken);
    expect(session.tokens.refreshToken).toEqual(expect.any(String));
    expect(session.tokens.refreshToken).not.toBe(first.refreshToken);
    // The refreshed ID token is about the same user (checked by the client, OIDC Core §12.2).
    expect(decodeJwt(session.tokens.idToken!).sub).toBe('carol');

    // The cookie session is rewritten with the rotated token, and that token works.
    jar.set(await client.commitSession(session));
    const reloaded = (await client.getSession(jar.request(REDIRECT_URI)))!;
    expect(reloaded.tokens.refreshToken).toBe(session.tokens.refreshToken);
    const again = await client.getAccessToken(reloaded);
    expect(again).not.toBe(accessToken);
    await expect(client.fetchUserInfo(reloaded)).resolves.toMatchObject({ sub: 'carol' });
  });

  it("logout revokes the tokens and returns oidc-provider's end_session URL, which it accepts", async () => {
    const client = makeClient();
    const signedIn = await signIn(client, 'dave');
    const jar = new CookieJar().set(signedIn.setCookies);
    const { redirectUrl, revoked, setCookies } = await client.logout(jar.request(REDIRECT_URI), { state: 'bye' });

    expect(revoked).toBe(true);
    expect(redirectUrl).toBeDefined();
    expect(redirectUrl!.origin + redirectUrl!.pathname).toBe(`${issuer}/session/end`);
    expect(redirectUrl!.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(redirectUrl!.searchParams.get('id_token_hint')).toBe(signedIn.tokens.idToken);
    expect(redirectUrl!.searchParams.get('post_logout_redirect_uri')).toBe(POST_LOGOUT_REDIRECT_URI);
    expect(redirectUrl!.searchParams.get('state')).toBe('bye');
    jar.set(setCookies);
    expect(await client.getSession(jar.request(REDIRECT_URI))).toBeUndefined();

    // The revoked access token no longer opens UserInfo.
    const userinfo = await fetch(`${issuer}/me`, { headers: { authorization: `Bearer ${signedIn.tokens.accessToken}` } });
    expect(userinfo.status).toBe(401);

    // The same browser follows the URL: oidc-provider asks to confirm, then sends it back to us.
    const page = await signedIn.ua.open(redirectUrl!.href, {}, toApp);
    expect(page.status).toBe(200);
    const back = toApp(page.url) ? page : await signedIn.ua.submit(page, { logout: 'yes' }, { stopAt: toApp });
    const location = new URL(back.url);
    expect(location.origin + location.pathname).toBe(POST_LOGOUT_REDIRECT_URI);
    expect(location.searchParams.get('state')).toBe('bye');
  });

  it.each([
    ['a token store', () => createMemoryTokenStore()],
    ['cookie sessions', () => undefined],
  ])('a sign-out at the provider reaches our back-channel logout endpoint and ends the session (%s)', async (_label, store) => {
    const tokenStore = store();
    const client = makeClient(tokenStore ? { tokenStore } : {});
    backchannelClient = client;
    const signedIn = await signIn(client, 'erin');
    const jar = new CookieJar().set(signedIn.setCookies);
    expect(signedIn.session.sid).toEqual(expect.any(String));
    expect(await client.getSession(jar.request(REDIRECT_URI))).toBeDefined();
    backchannelStatuses.length = 0;

    // The user signs out at the provider itself (no id_token_hint): it notifies every client.
    const page = await signedIn.ua.open(`${issuer}/session/end`, {}, toApp);
    const done = await signedIn.ua.submit(page, { logout: 'yes' });
    expect(done.status).toBe(200);
    await expect.poll(() => backchannelStatuses).toEqual([200]);
    expect(await client.getSession(jar.request(REDIRECT_URI))).toBeUndefined();
    if (tokenStore) expect(await tokenStore.get(signedIn.session.id)).toBeUndefined();
  });
});
