/**
 * Express 5 glue over an {@link OAuthClient} (`gatehouse/client/express`, a subpath of its own so
 * that `gatehouse/client` never loads Express): a router with the sign-in routes that sets
 * `req.gatehouseSession`, plus `requireUser()` and `accessToken(req, res)`. Requests are converted to
 * web `Request`s and the fetch handlers' `Response`s written back.
 */
import { Router, type NextFunction, type Request as ExpressRequest, type RequestHandler, type Response as ExpressResponse } from 'express';
import type { OAuthClient } from '../oauth-client.js';
import { SessionExpiredError } from '../refresh.js';
import type { ClientSession } from '../sessions/session.js';
import {
  appendCookies,
  callbackHandler,
  resolvePaths,
  signInHandler,
  signInRequired,
  signOutHandler,
  type AuthRoutesOptions,
  type FetchHandler,
  type SignInRequiredOptions,
} from './fetch.js';

declare global {
  namespace Express {
    interface Request {
      /** The signed-in user's session, set by {@link gatehouseExpress}. */
      gatehouseSession?: ClientSession | undefined;
    }
  }
}

/** Larger bodies are refused: the routes take a form with a code or a logout token. */
const MAX_BODY_BYTES = 64 * 1024;
/** The Fetch API refuses these methods; they carry no body and are read as GET here. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
/** The client and sign-in path of the router that handled a request, for the helpers below. */
const settings = new WeakMap<ExpressRequest, { client: OAuthClient; signInPath: string }>();

async function readBody(req: ExpressRequest): Promise<string | Uint8Array<ArrayBuffer>> {
  // A body parser mounted earlier (express.urlencoded/raw/text) has consumed the stream already.
  const parsed: unknown = req.body;
  if (typeof parsed === 'string') return parsed;
  if (Buffer.isBuffer(parsed)) return new Uint8Array(parsed);
  if (parsed && typeof parsed === 'object') return new URLSearchParams(parsed as Record<string, string>).toString();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('request body too large'), { status: 413, expose: true });
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** The web `Request` of an Express request: method, full URL (honouring `trust proxy`), headers, and the body when asked. */
async function toRequest(req: ExpressRequest, withBody: boolean): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
  }
  const method = FORBIDDEN_METHODS.has(req.method) ? 'GET' : req.method;
  const body = withBody && method !== 'GET' && method !== 'HEAD' ? await readBody(req) : undefined;
  return new Request(`${req.protocol}://${req.host}${req.originalUrl}`, { method, headers, ...(body === undefined ? {} : { body }) });
}

/** Writes a web `Response`: status, headers, every `Set-Cookie` separately, body. */
async function send(res: ExpressResponse, response: Response): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  for (const cookie of response.headers.getSetCookie()) res.append('Set-Cookie', cookie);
  res.end(Buffer.from(await response.arrayBuffer()));
}

const mount =
  (handler: FetchHandler): RequestHandler =>
  async (req, res) =>
    send(res, await handler(await toRequest(req, true)));

/**
 * An Express router with the sign-in (`GET /login?returnTo=`), callback (`/authorize`), sign-out
 * (`/logout`) and optional back-channel logout routes. On every other request it sets
 * `req.gatehouseSession`, and sends a cookie session refreshed during the request back with the
 * response (`Set-Cookie`, added when the response ends). Mount it at the root, before your routes.
 *
 * @example
 * import { gatehouseExpress, requireUser } from 'gatehouse/client/express';
 * app.use(gatehouseExpress(client, { callbackPath: '/authorize' }));
 * app.get('/profile', requireUser(), (req, res) => { res.send(req.gatehouseSession!.profile.email); });
 */
export function gatehouseExpress(client: OAuthClient, options: AuthRoutesOptions = {}): Router {
  const paths = resolvePaths(options);
  const router = Router();
  router.get(paths.signInPath, mount(signInHandler(client, options.signIn)));
  router
    .route(paths.callbackPath)
    .get(mount(callbackHandler(client, options.callback)))
    .post(mount(callbackHandler(client, options.callback)));
  router
    .route(paths.signOutPath)
    .get(mount(signOutHandler(client, options.signOut)))
    .post(mount(signOutHandler(client, options.signOut)));
  if (paths.backchannelLogoutPath)
    router.all(
      paths.backchannelLogoutPath,
      mount((request) => client.backchannelLogout(request)),
    );
  router.use(async (req, res, next) => {
    const request = await toRequest(req, false);
    const session = await client.getSession(request);
    req.gatehouseSession = session;
    settings.set(req, { client, signInPath: paths.signInPath });
    if (session) {
      // Express has no "after the handler" hook: hold `end` until the refreshed session's cookies
      // are added (as express-session does to save its session).
      const end = res.end.bind(res) as (...args: unknown[]) => ExpressResponse;
      res.end = ((...args: unknown[]) => {
        client
          .commitSession(session, request)
          .catch(() => [])
          .then((cookies) => {
            if (!res.headersSent) for (const cookie of cookies) res.append('Set-Cookie', cookie);
            end(...args);
          })
          // A throw here (a header Node refuses, a write after end) would otherwise be an unhandled
          // rejection, which stops the whole process: close this one response instead.
          .catch(() => res.destroy());
        return res;
      }) as ExpressResponse['end'];
    }
    next();
  });
  return router;
}

/**
 * Lets only signed-in users through; others get 401 JSON (API calls, non-GET) or a redirect to the
 * sign-in path of {@link gatehouseExpress} (or `options.signInPath`).
 *
 * @example
 * app.get('/profile', requireUser(), (req, res) => { res.send(req.gatehouseSession!.profile.email); });
 */
export function requireUser(options: SignInRequiredOptions = {}): RequestHandler {
  return async (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    if (req.gatehouseSession) {
      next();
      return;
    }
    const signInPath = options.signInPath ?? settingsOf(req).signInPath;
    await send(res, signInRequired(await toRequest(req, false), { signInPath }));
  };
}

function settingsOf(req: ExpressRequest): { client: OAuthClient; signInPath: string } {
  const found = settings.get(req);
  if (!found) throw new TypeError('gatehouse: mount gatehouseExpress() before requireUser() and accessToken()');
  return found;
}

/**
 * The session's access token, refreshed when about to expire (the refreshed cookie session is sent
 * with the response). With no session, or one that can no longer be refreshed
 * (`SessionExpiredError`), it answers the sign-in-required response itself and returns `undefined`.
 *
 * @example
 * app.get('/api/repos', async (req, res) => {
 *   const token = await accessToken(req, res);
 *   if (token === undefined) return;
 *   res.json(await (await fetch('https://api.example/repos', { headers: { Authorization: `Bearer ${token}` } })).json());
 * });
 */
export async function accessToken(req: ExpressRequest, res: ExpressResponse, options: { forceRefresh?: boolean } = {}): Promise<string | undefined> {
  const { client, signInPath } = settingsOf(req);
  let clear: string[] = [];
  try {
    if (req.gatehouseSession) return await client.getAccessToken(req.gatehouseSession, options);
  } catch (error) {
    if (!(error instanceof SessionExpiredError)) throw error;
    // The session can never work again: drop it, so later requests do not retry the refresh.
    clear = await client.clearSession(await toRequest(req, false));
  }
  await send(res, appendCookies(signInRequired(await toRequest(req, false), { signInPath }), clear));
  return undefined;
}
