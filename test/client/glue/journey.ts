/**
 * The browser journey every framework glue must pass, against a real Gatehouse authorization server
 * listening in-process: sign in through the provider's login and consent pages, reach a protected
 * page, get 401 JSON from a protected API, refresh an expired access token (the refreshed cookie
 * session goes back to the browser), sign out through the provider's end-session endpoint.
 *
 * Both servers listen on 127.0.0.1 (different ports); {@link UserAgent} keeps one cookie jar for
 * every origin, as a browser does for one host whatever the port.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthClient, gatehouse, type OAuthClient } from '../../../src/client/index.js';
import { SecretKeys } from '../../../src/core/secret.js';
import { registerClient } from '../../../src/server/admin/clients.js';
import { createUser } from '../../../src/server/admin/users.js';
import { createAuthorizationServer } from '../../../src/server/authorization-server.js';
import type { Store } from '../../../src/stores/contract.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { parseForms, UserAgent, type Page } from '../../helpers/user-agent.js';

const SERVER_SECRET = 's'.repeat(40);
const CLIENT_SECRET_KEY = 'c'.repeat(40);
/** The provider's access tokens live 60 s; the client refreshes 120 s early, so always. */
const ACCESS_TOKEN_TTL = 60;
const REFRESH_LEEWAY = 120;

const ALICE = { username: 'alice', email: 'alice@example.com', name: 'Alice Liddell', password: 'alice-password-1' };

/** A listening HTTP server whose handler is set once its port (and so its URL) is known. */
export interface Listening {
  origin: string;
  close(): Promise<void>;
}

export function closeServer(server: Pick<Server, 'close' | 'closeAllConnections'>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** `serve` (from @hono/node-server) on a free loopback port, with the fetch handler bound later. */
export async function serveLate(): Promise<Listening & { handle(fetch: (request: Request) => Response | Promise<Response>): void }> {
  let handler: (request: Request) => Response | Promise<Response> = () => new Response('not ready', { status: 503 });
  let server!: Server;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: (request) => handler(request), port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port)) as Server;
  });
  return { origin: `http://127.0.0.1:${port}`, close: () => closeServer(server), handle: (fetch) => (handler = fetch) };
}

/** A Gatehouse authorization server listening on loopback, with alice. */
export interface Provider {
  issuer: string;
  store: Store;
  /** Registers a confidential client that signs users in at `appOrigin`. */
  register(appOrigin: string): Promise<{ clientId: string; clientSecret: string }>;
  close(): Promise<void>;
}

export async function startProvider(): Promise<Provider> {
  const listening = await serveLate();
  const issuer = listening.origin;
  const store = createMemoryStore();
  const server = createAuthorizationServer({ issuer, store, secret: SERVER_SECRET, logger: false, tokens: { accessTokenTtl: ACCESS_TOKEN_TTL } });
  await server.ready();
  listening.handle((request) => server.fetch(request));
  await createUser(store, { ...ALICE, emailVerified: true }, Date.now());
  return {
    issuer,
    store,
    async register(appOrigin) {
      const { client, clientSecret } = await registerClient(
        store,
        new SecretKeys(SERVER_SECRET),
        { name: 'Glue test app', redirectUris: [`${appOrigin}/authorize`], postLogoutRedirectUris: [`${appOrigin}/signed-out`] },
        Date.now(),
      );
      return { clientId: client.clientId, clientSecret: clientSecret! };
    },
    async close() {
      await server.close();
      await listening.close();
    },
  };
}

/** The client of an app at `appOrigin`, registered with `provider`. */
export async function appClient(provider: Provider, appOrigin: string): Promise<OAuthClient> {
  const { clientId, clientSecret } = await provider.register(appOrigin);
  return createOAuthClient({
    provider: gatehouse(provider.issuer),
    clientId,
    clientSecret,
    redirectUri: `${appOrigin}/authorize`,
    postLogoutRedirectUri: `${appOrigin}/signed-out`,
    secret: CLIENT_SECRET_KEY,
    refreshLeeway: REFRESH_LEEWAY,
    allowInsecureRequests: true,
  });
}

/**
 * An app under test. It must mount the glue with its defaults (`/login`, `/authorize`, `/logout`,
 * back-channel logout at `/backchannel-logout`) and serve:
 * - `GET /profile` (requireUser): `Signed in as <email>`;
 * - `GET /api/me` (requireUser): `{ "email": ... }`;
 * - `GET /api/token`: `{ "accessToken": ... }` from the glue's access-token helper;
 * - `GET /signed-out`: any 200 page.
 */
export interface TestApp {
  origin: string;
  close(): Promise<void>;
}

const sessionCookies = (ua: UserAgent) => [...ua.cookies.keys()].filter((name) => name.startsWith('gh_session.'));
const setCookieNames = (page: Page) => page.headers.getSetCookie().map((header) => header.slice(0, header.indexOf('=')));

/** The shared journey. `start` builds the app for `provider` and listens. */
export function describeJourney(framework: string, start: (provider: Provider) => Promise<TestApp>): void {
  describe(`${framework} glue: a browser journey against Gatehouse`, () => {
    let provider: Provider;
    let app: TestApp;
    const ua = new UserAgent();
    const json = { accept: 'application/json' };

    beforeAll(async () => {
      provider = await startProvider();
      app = await start(provider);
    });

    afterAll(async () => {
      await app?.close();
      await provider?.close();
    });

    it('signs in: /login -> provider login and consent -> /authorize -> returnTo -> a protected page with the email', async () => {
      const toProvider = await ua.open(`${app.origin}/login?returnTo=%2Fprofile`, {}, (location) => location.startsWith(provider.issuer));
      expect(toProvider.status, toProvider.body).toBe(302);
      expect(new URL(toProvider.url).pathname).toBe('/authorize');
      expect(new URL(toProvider.url).searchParams.get('code_challenge_method')).toBe('S256');
      expect(setCookieNames(toProvider)).toEqual([expect.stringMatching(/^gh_tx_/)]);

      const login = await ua.open(toProvider.url);
      expect(parseForms(login.body).some((form) => form.action.endsWith('/login') && 'password' in form.fields)).toBe(true);
      const consent = await ua.submit(login, { username: ALICE.username, password: ALICE.password }, { actionPart: '/login' });
      expect(parseForms(consent.body).some((form) => form.action.endsWith('/consent'))).toBe(true);
      const callback = await ua.submit(
        consent,
        {},
        {
          actionPart: '/consent',
          button: { name: 'decision', value: 'approve' },
          stopAt: (location) => location.startsWith(`${app.origin}/`),
        },
      );
      expect(callback.url.startsWith(`${app.origin}/authorize?`)).toBe(true);
      expect(new URL(callback.url).searchParams.get('code')).toEqual(expect.any(String));

      const back = await ua.open(callback.url, {}, (location) => location.startsWith(app.origin));
      expect(back.status, back.body).toBe(302);
      expect(back.url).toBe(`${app.origin}/profile`);
      expect(setCookieNames(back)).toEqual(expect.arrayContaining([expect.stringMatching(/^gh_tx_/), 'gh_session.0']));
      expect([...ua.cookies.keys()].some((name) => name.startsWith('gh_tx_'))).toBe(false);

      const profile = await ua.open(back.url);
      expect(profile.status, profile.body).toBe(200);
      expect(profile.body).toContain(`Signed in as ${ALICE.email}`);
    });

    it('answers 401 JSON to a protected API call without a session, and redirects a browser to sign in', async () => {
      const api = await fetch(`${app.origin}/api/me`, { headers: json });
      expect(api.status).toBe(401);
      expect(api.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await api.json()).toMatchObject({ error: 'login_required' });

      const page = await fetch(`${app.origin}/profile?tab=keys`, { redirect: 'manual' });
      expect(page.status).toBe(302);
      expect(page.headers.get('location')).toBe('/login?returnTo=%2Fprofile%3Ftab%3Dkeys');

      const signedIn = await ua.open(`${app.origin}/api/me`, { headers: json });
      expect(signedIn.status).toBe(200);
      expect(JSON.parse(signedIn.body)).toEqual({ email: ALICE.email });
    });

    it('refreshes an expired access token and sends the refreshed cookie session back', async () => {
      const first = await ua.open(`${app.origin}/api/token`, { headers: json });
      expect(first.status).toBe(200);
      expect(setCookieNames(first)).toContain('gh_session.0');
      const second = await ua.open(`${app.origin}/api/token`, { headers: json });
      // Gatehouse rotates refresh tokens and revokes the grant on reuse: the second refresh works
      // only if the browser got the first refresh's cookie.
      expect(second.status).toBe(200);
      expect(setCookieNames(second)).toContain('gh_session.0');
      const [a, b] = [first, second].map((answer) => (JSON.parse(answer.body) as { accessToken: unknown }).accessToken);
      expect(a).toEqual(expect.any(String));
      expect(b).not.toBe(a);
    });

    it('receives back-channel logout POSTs: the form body reaches the client', async () => {
      const garbage = await fetch(`${app.origin}/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'logout_token=not-a-jwt',
      });
      expect(garbage.status).toBe(400);
      // "is not valid" (not "is required"): the body was read.
      expect(((await garbage.json()) as { error_description?: string }).error_description).toMatch(/logout_token is not valid/);
      expect((await fetch(`${app.origin}/backchannel-logout`)).status).toBe(405);
    });

    let beforeLogout: Map<string, string>;

    it('signs out: clears the session and redirects to the provider end-session endpoint, then back', async () => {
      beforeLogout = new Map(ua.cookies);
      const out = await ua.open(`${app.origin}/logout`, {}, (location) => location.startsWith(provider.issuer));
      expect(out.status).toBe(302);
      const endSession = new URL(out.url);
      expect(`${endSession.origin}${endSession.pathname}`).toBe(`${provider.issuer}/logout`);
      expect(endSession.searchParams.get('id_token_hint')).toEqual(expect.any(String));
      expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${app.origin}/signed-out`);
      expect(out.headers.getSetCookie().some((cookie) => cookie.startsWith('gh_session.0=;') && cookie.includes('Max-Age=0'))).toBe(true);
      expect(sessionCookies(ua)).toEqual([]);

      const landed = await ua.open(out.url, {}, (location) => location.startsWith(app.origin));
      expect(landed.url).toBe(`${app.origin}/signed-out`);
    });

    it('after sign-out the protected page redirects to /login', async () => {
      const page = await ua.open(`${app.origin}/profile`, {}, (location) => location.startsWith(`${app.origin}/login`));
      expect(page.status).toBe(302);
      expect(page.url).toBe(`${app.origin}/login?returnTo=%2Fprofile`);
    });

    it('a copy of the old cookie session cannot get tokens: its refresh token was revoked at sign-out', async () => {
      const stale = new UserAgent();
      for (const [name, value] of beforeLogout) stale.cookies.set(name, value);
      const api = await stale.open(`${app.origin}/api/token`, { headers: json });
      expect(api.status).toBe(401);
      expect(JSON.parse(api.body)).toMatchObject({ error: 'login_required' });
    });
  });
}
