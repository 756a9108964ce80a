/**
 * Fetch-API glue over an {@link OAuthClient}: `(Request) => Response` handlers for Next.js route
 * handlers, Bun, Deno, Cloudflare Workers, or any framework that speaks `Request`/`Response`.
 * The Hono and Express glue (`gatehouse/client/hono`, `gatehouse/client/express`) are built on these.
 */
import { ConfigError } from '../../core/errors.js';
import { OAuthProviderError, OAuthValidationError } from '../errors.js';
import type { OAuthClient } from '../oauth-client.js';
import { SessionExpiredError } from '../refresh.js';
import type { ClientSession } from '../sessions/session.js';
import type { SignInResult } from '../sign-in.js';

/** A fetch handler. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Options of {@link signInHandler}. */
export interface SignInHandlerOptions {
  /** Where to return after sign-in. Default: the `returnTo` query parameter. Only local paths are kept. */
  returnTo?: (request: Request) => string | undefined;
}

/** Options of {@link callbackHandler}. */
export interface CallbackHandlerOptions {
  /**
   * The response after a successful sign-in. Default: 302 to `result.returnTo ?? '/'`.
   * `result.setCookies` are added to the response you return: do not add them yourself.
   */
  onSuccess?: (result: SignInResult & { setCookies: string[] }, request: Request) => Response | Promise<Response>;
  /**
   * The response when the provider sent an error (`OAuthProviderError`, e.g. `access_denied`) or a
   * response failed validation (`OAuthValidationError`). Default: a 400 plain-text page saying which.
   * Other errors (network, misconfiguration) are thrown.
   */
  onError?: (error: OAuthProviderError | OAuthValidationError, request: Request) => Response | Promise<Response>;
}

/** Options of {@link signOutHandler}. */
export interface SignOutHandlerOptions {
  /** Where the provider sends the browser after its logout. Default: the client's `postLogoutRedirectUri`. */
  postLogoutRedirectUri?: string;
  /** Where to go when the provider has no logout endpoint (or no one was signed in). Default `/`. */
  redirectTo?: string;
}

/** Options of {@link requireUser}, {@link signInRequired} and {@link withSession}. */
export interface SignInRequiredOptions {
  /** Where browsers are sent to sign in (with `?returnTo=` the current path). Default `/login`. */
  signInPath?: string;
}

/** Paths and handler options of {@link authRoutes} (and of the Hono and Express glue). */
export interface AuthRoutesOptions {
  /** Default `/login`. */
  signInPath?: string;
  /** The path of the client's `redirectUri`. Default `/authorize`. */
  callbackPath?: string;
  /** Default `/logout`. */
  signOutPath?: string;
  /** The back-channel logout URI registered with the provider (POST). Default: not mounted. */
  backchannelLogoutPath?: string;
  signIn?: SignInHandlerOptions;
  callback?: CallbackHandlerOptions;
  signOut?: SignOutHandlerOptions;
}

/** A 302 with `Set-Cookie` headers; `Location` may be relative (RFC 9110 §10.2.2). */
function redirect(location: string, setCookies: string[] = []): Response {
  const headers = new Headers({ Location: location, 'Cache-Control': 'no-store' });
  for (const cookie of setCookies) headers.append('Set-Cookie', cookie);
  return new Response(null, { status: 302, headers });
}

/**
 * The response with `setCookies` appended (on a copy: fetched and redirect responses have immutable headers).
 *
 * @example
 * return appendCookies(await fetch(upstream), await client.commitSession(session, request));
 */
export function appendCookies(response: Response, setCookies: string[]): Response {
  if (setCookies.length === 0) return response;
  const copy = new Response(response.body, response);
  for (const cookie of setCookies) copy.headers.append('Set-Cookie', cookie);
  return copy;
}

/**
 * Starts sign-in: 302 to the provider with the sign-in (transaction) cookie.
 *
 * @example
 * // app/login/route.ts (Next.js)
 * export const GET = signInHandler(client); // GET /login?returnTo=/settings
 */
export function signInHandler(client: OAuthClient, options: SignInHandlerOptions = {}): FetchHandler {
  const returnTo = options.returnTo ?? ((request: Request) => new URL(request.url).searchParams.get('returnTo') ?? undefined);
  return async (request) => {
    const { url, setCookie } = await client.authorizationUrl({ returnTo: returnTo(request) });
    return redirect(url.href, [setCookie]);
  };
}

function defaultCallbackError(error: OAuthProviderError | OAuthValidationError): Response {
  // Names the failure, never a stack or the provider's free-text description (it is reflected input).
  const text =
    error instanceof OAuthProviderError
      ? `Sign-in failed: the provider answered with an error (${error.error}). Try signing in again.`
      : `Sign-in failed: the provider's response did not pass validation (${error.reason}). Start signing in again.`;
  return new Response(`${text}\n`, {
    status: 400,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
  });
}

/**
 * Completes sign-in at the redirect URI (GET, or POST for `response_mode=form_post`) and starts the
 * session: by default a 302 to the `returnTo` given at sign-in, or `/`.
 *
 * @example
 * // app/authorize/route.ts (Next.js); the client's redirectUri is https://app.example/authorize
 * const callback = callbackHandler(client, { onError: () => Response.redirect('https://app.example/sign-in-failed') });
 * export { callback as GET, callback as POST };
 */
export function callbackHandler(client: OAuthClient, options: CallbackHandlerOptions = {}): FetchHandler {
  const onError = options.onError ?? defaultCallbackError;
  return async (request) => {
    let result: SignInResult & { setCookies: string[] };
    try {
      result = await client.handleCallback(request);
    } catch (error) {
      if (error instanceof OAuthProviderError || error instanceof OAuthValidationError) return appendCookies(await onError(error, request), error.setCookies);
      throw error;
    }
    const response = options.onSuccess ? await options.onSuccess(result, request) : redirect(result.returnTo ?? '/');
    return appendCookies(response, result.setCookies);
  };
}

/**
 * Signs out: revokes the tokens, clears the session cookies, and sends the browser to the
 * provider's logout endpoint when it has one (else to `redirectTo`). GET and POST are accepted: a
 * forged sign-out is a nuisance, not a breach, and SameSite=Lax already sends cookies on GET links.
 *
 * @example
 * export const POST = signOutHandler(client, { postLogoutRedirectUri: 'https://app.example/' });
 */
export function signOutHandler(client: OAuthClient, options: SignOutHandlerOptions = {}): FetchHandler {
  const logoutOptions = options.postLogoutRedirectUri ? { postLogoutRedirectUri: options.postLogoutRedirectUri } : {};
  return async (request) => {
    const { redirectUrl, setCookies } = await client.logout(request, logoutOptions);
    return redirect(redirectUrl?.href ?? options.redirectTo ?? '/', setCookies);
  };
}

/** Whether to answer 401 JSON rather than a redirect: API calls (`Accept: application/json`) and non-GET requests. */
// No WWW-Authenticate on the 401: a cookie sign-in has no HTTP authentication scheme to name.
function isApiRequest(request: Request): boolean {
  return !['GET', 'HEAD'].includes(request.method) || (request.headers.get('accept') ?? '').includes('application/json');
}

/**
 * The answer to a request that needs a signed-in user and has none: 401 JSON
 * (`{"error":"login_required"}`) for API calls (`Accept: application/json`) and non-GET requests,
 * otherwise a 302 to the sign-in path with `?returnTo=` the current path and query.
 *
 * @example
 * if (!session) return signInRequired(request, { signInPath: '/auth/login' });
 */
export function signInRequired(request: Request, options: SignInRequiredOptions = {}): Response {
  if (isApiRequest(request)) {
    const body = { error: 'login_required', error_description: 'sign in first' };
    return Response.json(body, { status: 401, headers: { 'Cache-Control': 'no-store' } });
  }
  const url = new URL(request.url);
  return redirect(`${options.signInPath ?? '/login'}?returnTo=${encodeURIComponent(url.pathname + url.search)}`);
}

/**
 * The request's session, or the response to send instead ({@link signInRequired}). When you call
 * `client.getAccessToken(session)`, a cookie session may be refreshed: send
 * `client.commitSession(session, request)` with your response ({@link appendCookies}), or use
 * {@link withSession}, which does.
 *
 * @example
 * const auth = await requireUser(client, request);
 * if ('response' in auth) return auth.response;
 * return new Response(`Hello ${auth.session.profile.email}`);
 */
export async function requireUser(
  client: OAuthClient,
  request: Request,
  options: SignInRequiredOptions = {},
): Promise<{ session: ClientSession } | { response: Response }> {
  const session = await client.getSession(request);
  return session ? { session } : { response: signInRequired(request, options) };
}

/** Options of {@link withSession}. */
export interface WithSessionOptions extends SignInRequiredOptions {
  /** Answer {@link signInRequired} when no one is signed in, so the handler always gets a session. */
  required?: boolean;
}

type SessionHandler<S, A extends unknown[]> = (request: Request, session: S, ...rest: A) => Response | Promise<Response>;

/**
 * Wraps a handler: loads the session, passes it, and adds the `Set-Cookie` headers of
 * `client.commitSession` to the response, so that a cookie session refreshed during the handler
 * reaches the browser (with rotating refresh tokens, the old cookie's token is spent). A
 * `SessionExpiredError` thrown by the handler (from `getAccessToken`) is answered with
 * {@link signInRequired}. Extra arguments (Next.js' route context) are passed through.
 *
 * @example
 * export const GET = withSession(client, async (request, session) => {
 *   const token = await client.getAccessToken(session);
 *   return fetch('https://api.example/me', { headers: { Authorization: `Bearer ${token}` } });
 * }, { required: true });
 */
export function withSession<A extends unknown[]>(
  client: OAuthClient,
  handler: SessionHandler<ClientSession, A>,
  options: WithSessionOptions & { required: true },
): (request: Request, ...rest: A) => Promise<Response>;
export function withSession<A extends unknown[]>(
  client: OAuthClient,
  handler: SessionHandler<ClientSession | undefined, A>,
  options?: WithSessionOptions,
): (request: Request, ...rest: A) => Promise<Response>;
export function withSession<A extends unknown[]>(
  client: OAuthClient,
  handler: SessionHandler<ClientSession, A>,
  options: WithSessionOptions = {},
): (request: Request, ...rest: A) => Promise<Response> {
  return async (request, ...rest) => {
    const session = await client.getSession(request);
    if (!session && options.required) return signInRequired(request, options);
    let response: Response;
    try {
      // `undefined` only when not `required`, as the overloads type it.
      response = await handler(request, session!, ...rest);
    } catch (error) {
      if (!(error instanceof SessionExpiredError)) throw error;
      // The session can never work again: drop it, so later requests do not retry the refresh.
      return appendCookies(signInRequired(request, options), await client.clearSession(request));
    }
    return session ? appendCookies(response, await client.commitSession(session, request)) : response;
  };
}

/**
 * The paths of {@link authRoutes}, defaults applied and checked (used by the Hono and Express glue).
 *
 * @example
 * resolvePaths({ signInPath: '/auth/login' }).callbackPath; // '/authorize'
 * @throws {ConfigError} a path that does not start with `/`, or two routes on one path.
 */
export function resolvePaths(options: AuthRoutesOptions): {
  signInPath: string;
  callbackPath: string;
  signOutPath: string;
  backchannelLogoutPath: string | undefined;
} {
  const paths = {
    signInPath: options.signInPath ?? '/login',
    callbackPath: options.callbackPath ?? '/authorize',
    signOutPath: options.signOutPath ?? '/logout',
    backchannelLogoutPath: options.backchannelLogoutPath,
  };
  const given = Object.entries(paths).filter((entry): entry is [string, string] => entry[1] !== undefined);
  for (const [name, path] of given) {
    if (!/^\/[^?#]*$/.test(path)) {
      throw new ConfigError(`option "${name}" must be a path starting with "/", without query or fragment`, 'ERR_INVALID_OPTION', name);
    }
  }
  if (new Set(given.map(([, path]) => path)).size < given.length) {
    throw new ConfigError('the sign-in, callback, sign-out and back-channel logout paths must differ', 'ERR_INVALID_OPTION', 'paths');
  }
  return paths;
}

/**
 * The sign-in, callback, sign-out and (optionally) back-channel logout routes as one matcher:
 * returns the route's response, or `undefined` when the request is for none of them.
 *
 * @example
 * // app/[...auth]/route.ts (Next.js catch-all), or a Bun/Deno server
 * const routes = authRoutes(client, { callbackPath: '/authorize' });
 * const handle = (request: Request) => routes(request) ?? new Response('Not found', { status: 404 });
 * export { handle as GET, handle as POST };
 */
export function authRoutes(client: OAuthClient, options: AuthRoutesOptions = {}): (request: Request) => Promise<Response> | undefined {
  const paths = resolvePaths(options);
  const routes = new Map<string, { methods: string[]; handler: FetchHandler }>([
    [paths.signInPath, { methods: ['GET'], handler: signInHandler(client, options.signIn) }],
    // POST: response_mode=form_post.
    [paths.callbackPath, { methods: ['GET', 'POST'], handler: callbackHandler(client, options.callback) }],
    [paths.signOutPath, { methods: ['GET', 'POST'], handler: signOutHandler(client, options.signOut) }],
  ]);
  // The client answers 405 itself to anything but POST.
  if (paths.backchannelLogoutPath) routes.set(paths.backchannelLogoutPath, { methods: [], handler: (request) => client.backchannelLogout(request) });
  return (request) => {
    const route = routes.get(new URL(request.url).pathname);
    if (!route || (route.methods.length > 0 && !route.methods.includes(request.method))) return undefined;
    return route.handler(request);
  };
}
