/**
 * The reference documents' Flask app (/login, /authorize, /profile), in TypeScript with Hono:
 * sign in with Gatehouse, show the profile, call a protected API with the user's access token.
 */
import { Hono } from 'hono';
import { createMemoryTokenStore, createOAuthClient, gatehouse, type OAuthClientOptions } from 'gatehouse/client';
import { accessToken, gatehouseAuth, requireUser, type GatehouseEnv } from 'gatehouse/client/hono';
import { createResourceGuard, requireToken } from 'gatehouse/resource';
import { NoteBook } from './notes.js';
import { apiErrorPage, homePage, notFoundPage, notesPage, profilePage, signInFailedPage } from './pages.js';

export interface ReferenceAppOptions {
  /** Gatehouse's issuer URL. */
  issuer: string;
  /** This app's own URL, e.g. http://127.0.0.1:3001 */
  appUrl: string;
  clientId: string;
  clientSecret: string;
  /** At least 32 characters; encrypts the session cookie. */
  sessionSecret: string;
  /** Plain-http Gatehouse on loopback (the local demo). */
  allowInsecureRequests?: boolean;
}

/** The API's identifier: tokens for it carry it in `aud` (RFC 8707 resource indicator). */
export function apiAudience(appUrl: string): string {
  return `${appUrl}/api`;
}

export function createReferenceApp(options: ReferenceAppOptions): Hono<GatehouseEnv> {
  const clientOptions: OAuthClientOptions = {
    provider: gatehouse(options.issuer),
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    redirectUri: `${options.appUrl}/authorize`,
    postLogoutRedirectUri: `${options.appUrl}/`,
    scopes: ['openid', 'profile', 'email', 'offline_access', 'notes:read'],
    resource: apiAudience(options.appUrl),
    secret: options.sessionSecret,
    // Server-side sessions: the browser holds only a session id, never a token, and signing out
    // ends the session for good (a copied cookie is useless). With several instances, use
    // createRedisTokenStore from 'gatehouse/client/redis-store'.
    tokenStore: createMemoryTokenStore(),
    ...(options.allowInsecureRequests ? { allowInsecureRequests: true } : {}),
  };
  const client = createOAuthClient(clientOptions);
  const guard = createResourceGuard({
    issuer: options.issuer,
    audience: apiAudience(options.appUrl),
    ...(options.allowInsecureRequests ? { allowInsecureRequests: true } : {}),
  });
  const notes = new NoteBook();
  const app = new Hono<GatehouseEnv>();

  // The protected API: any client with a token for this audience and the notes:read scope.
  app.get('/api/notes', requireToken(guard, { scopes: ['notes:read'] }), (c) => {
    const token = c.var.accessToken;
    // A machine token (client_credentials) has the client as subject: it may read every note.
    const machine = token.sub === token.clientId;
    return c.json({ notes: machine ? notes.all() : notes.of(token.sub!) });
  });

  // /login, /authorize (the callback, as in the reference documents) and /logout.
  app.use(
    gatehouseAuth(client, {
      signInPath: '/login',
      callbackPath: '/authorize',
      signOutPath: '/logout',
      signIn: { returnTo: (request) => new URL(request.url).searchParams.get('returnTo') ?? '/profile' },
      // Cancel on the consent page, an old or forged callback, a provider error: a page of the app
      // that says what happened in plain words and leads back, never a bare 400.
      callback: {
        onError: (error) =>
          new Response(signInFailedPage(error), { status: 400, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' } }),
      },
    }),
  );
  app.notFound((c) => c.html(notFoundPage(), 404));
  app.get('/', (c) => c.html(homePage(c.var.session?.profile)));
  app.get('/profile', requireUser(), (c) => {
    const session = c.var.session;
    return c.html(profilePage(session.profile, (session.tokens.scope ?? '').split(' ').filter(Boolean)));
  });
  // The page asks the API with the user's access token, refreshed by the client library when due.
  app.get('/notes', requireUser(), async (c) => {
    const response = await fetch(`${options.appUrl}/api/notes`, { headers: { Authorization: `Bearer ${await accessToken(c)}` } });
    if (!response.ok) return c.html(apiErrorPage(response.status), 502);
    const body = (await response.json()) as { notes: { id: number; owner: string; text: string }[] };
    return c.html(notesPage(body.notes));
  });
  return app;
}
