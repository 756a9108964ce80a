/**
 * Hono glue over an {@link OAuthClient} (`gatehouse/client/hono`): one middleware that mounts the
 * sign-in routes and puts the session on `c.var.session`, plus `requireUser()` and `accessToken(c)`.
 * Runtime-neutral: only Hono's own types, no Node APIs.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { SessionExpiredError } from '../refresh.js';
import type { OAuthClient } from '../oauth-client.js';
import type { ClientSession } from '../sessions/session.js';
import { appendCookies, authRoutes, resolvePaths, signInRequired, type AuthRoutesOptions, type SignInRequiredOptions } from './fetch.js';

/** What {@link gatehouseAuth} puts on `c.var`. */
export interface GatehouseVariables {
  /** The signed-in user's session, if any. */
  session: ClientSession | undefined;
  /** The client and sign-in path, for {@link requireUser} and {@link accessToken}. */
  gatehouse: { client: OAuthClient; signInPath: string };
}

/** The Hono `Env` of apps using {@link gatehouseAuth}: `new Hono<GatehouseEnv>()`. */
export type GatehouseEnv = { Variables: GatehouseVariables };

function gatehouseOf(c: Context): GatehouseVariables {
  const gatehouse = c.get('gatehouse') as GatehouseVariables['gatehouse'] | undefined;
  if (!gatehouse) throw new TypeError('gatehouse: use the gatehouseAuth() middleware before requireUser() and accessToken()');
  return { gatehouse, session: c.get('session') as ClientSession | undefined };
}

/**
 * Mounts the sign-in (`GET /login?returnTo=`), callback (`/authorize`), sign-out (`/logout`) and
 * optional back-channel logout routes, and on every other request sets `c.var.session`; after the
 * handler, a cookie session refreshed meanwhile is sent back (`Set-Cookie`).
 *
 * @example
 * const app = new Hono<GatehouseEnv>();
 * app.use(gatehouseAuth(client, { callbackPath: '/authorize', signOut: { redirectTo: '/' } }));
 * app.get('/', (c) => c.text(c.var.session ? `Hi ${c.var.session.profile.name}` : 'Hello stranger'));
 */
export function gatehouseAuth(client: OAuthClient, options: AuthRoutesOptions = {}): MiddlewareHandler<GatehouseEnv> {
  const routes = authRoutes(client, options);
  const gatehouse = { client, signInPath: resolvePaths(options).signInPath };
  return async (c, next) => {
    const routed = routes(c.req.raw);
    if (routed) return routed;
    const session = await client.getSession(c.req.raw);
    c.set('gatehouse', gatehouse);
    c.set('session', session);
    await next();
    if (session) for (const cookie of await client.commitSession(session, c.req.raw)) c.header('Set-Cookie', cookie, { append: true });
  };
}

/**
 * Lets only signed-in users through; others get 401 JSON (API calls, non-GET) or a redirect to the
 * sign-in path. After it, `c.var.session` is typed as present.
 *
 * @example
 * app.get('/profile', requireUser(), (c) => c.text(c.var.session.profile.email ?? ''));
 */
export function requireUser(options: SignInRequiredOptions = {}): MiddlewareHandler<{ Variables: { session: ClientSession } }> {
  return async (c, next) => {
    const { session, gatehouse } = gatehouseOf(c);
    if (!session) return signInRequired(c.req.raw, { signInPath: options.signInPath ?? gatehouse.signInPath });
    await next();
  };
}

/**
 * The session's access token, refreshed when about to expire (the refreshed cookie session is sent
 * back by {@link gatehouseAuth}). With no session, or one that can no longer be refreshed
 * (`SessionExpiredError`), throws an `HTTPException` carrying the sign-in-required response (401 or
 * redirect); Hono's default error handler sends it (in your own `onError`, return `err.getResponse()`).
 *
 * @example
 * app.get('/api/repos', async (c) => {
 *   const response = await fetch('https://api.example/repos', { headers: { Authorization: `Bearer ${await accessToken(c)}` } });
 *   return c.json(await response.json());
 * });
 */
export async function accessToken(c: Context, options: { forceRefresh?: boolean } = {}): Promise<string> {
  const { session, gatehouse } = gatehouseOf(c);
  const denied = (cause?: unknown, clearCookies: string[] = []) => {
    const res = appendCookies(signInRequired(c.req.raw, { signInPath: gatehouse.signInPath }), clearCookies);
    return new HTTPException(res.status as ConstructorParameters<typeof HTTPException>[0], { res, message: 'sign in required', cause });
  };
  if (!session) throw denied();
  try {
    return await gatehouse.client.getAccessToken(session, options);
  } catch (error) {
    if (!(error instanceof SessionExpiredError)) throw error;
    // The session can never work again: drop it, so later requests do not retry the refresh.
    throw denied(error, await gatehouse.client.clearSession(c.req.raw));
  }
}
