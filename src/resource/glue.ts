import type { MiddlewareHandler } from 'hono';
import { errorResponse, type ResourceGuard, type VerifiedAccessToken } from './resource-guard.js';

/**
 * Hono middleware: refuses requests without a valid token (RFC 6750 errors) and sets
 * `c.var.accessToken`. A request for the guard's metadata document (RFC 9728) is answered with it,
 * token or not, so mounting this on every path keeps discovery working.
 *
 * @example
 * app.get('/api/notes', requireToken(guard, { scopes: ['notes:read'] }), (c) => c.json(notesOf(c.var.accessToken.sub)));
 */
export function requireToken(
  guard: ResourceGuard,
  options: { scopes?: string[] } = {},
): MiddlewareHandler<{ Variables: { accessToken: VerifiedAccessToken } }> {
  return async (c, next) => {
    const metadata = guard.serveMetadata(c.req.raw);
    if (metadata) return metadata;
    const result = await guard.check(c.req.raw, options);
    if (result.response) return result.response;
    c.set('accessToken', result.token);
    await next();
  };
}

/**
 * Hono middleware serving the guard's protected-resource metadata (RFC 9728) at
 * `/.well-known/oauth-protected-resource[/path]`; every other request goes on.
 *
 * @example
 * app.use(resourceMetadata(guard));
 */
export function resourceMetadata(guard: ResourceGuard): MiddlewareHandler {
  return async (c, next) => {
    const metadata = guard.serveMetadata(c.req.raw);
    if (metadata) return metadata;
    await next();
  };
}

/** The parts of an Express request and response the middleware uses (no dependency on Express). */
interface ExpressLikeRequest {
  headers: Record<string, string | string[] | undefined>;
  method: string;
  originalUrl?: string;
  url: string;
  accessToken?: VerifiedAccessToken;
}
interface ExpressLikeResponse {
  status(code: number): ExpressLikeResponse;
  setHeader(name: string, value: string): unknown;
  send(body?: string): unknown;
  end(): unknown;
}

/**
 * Express middleware: refuses requests without a valid token and sets `req.accessToken`. A request
 * for the guard's metadata document (RFC 9728) is answered with it, token or not.
 *
 * @example
 * app.get('/api/notes', expressRequireToken(guard, { scopes: ['notes:read'] }), (req, res) => res.json(notesOf(req.accessToken.sub)));
 */
export function expressRequireToken(guard: ResourceGuard, options: { scopes?: string[] } = {}) {
  return (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (error?: unknown) => void): void => {
    const request = webRequestOf(req);
    const metadata = guard.serveMetadata(request);
    if (metadata) {
      send(res, metadata).catch(next);
      return;
    }
    guard
      .authenticate(request, options)
      .then((token) => {
        req.accessToken = token;
        next();
      })
      .catch(async (error: unknown) => {
        let response: Response;
        try {
          response = errorResponse(error, guard);
        } catch (unexpected) {
          next(unexpected);
          return;
        }
        await send(res, response);
      });
  };
}

/**
 * Express middleware serving the guard's protected-resource metadata (RFC 9728) at
 * `/.well-known/oauth-protected-resource[/path]`; every other request goes on.
 *
 * @example
 * app.use(expressResourceMetadata(guard));
 */
export function expressResourceMetadata(guard: ResourceGuard) {
  return (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (error?: unknown) => void): void => {
    const metadata = guard.serveMetadata(webRequestOf(req));
    if (metadata) send(res, metadata).catch(next);
    else next();
  };
}

/** The Web `Request` the guard reads: method, path and headers (the body is never read). */
function webRequestOf(req: ExpressLikeRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
  }
  return new Request(new URL(req.originalUrl ?? req.url, 'http://localhost'), { method: req.method, headers });
}

/** Writes a Web `Response` to an Express response. */
async function send(res: ExpressLikeResponse, response: Response): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, name) => res.setHeader(name, value));
  const body = await response.text();
  if (body) res.send(body);
  else res.end();
}
