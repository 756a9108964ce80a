import type { MiddlewareHandler } from 'hono';
import { errorResponse, type ResourceGuard, type VerifiedAccessToken } from './resource-guard.js';

/**
 * Hono middleware: refuses requests without a valid token (RFC 6750 errors) and sets
 * `c.var.accessToken`.
 *
 * @example
 * app.get('/api/notes', requireToken(guard, { scopes: ['notes:read'] }), (c) => c.json(notesOf(c.var.accessToken.sub)));
 */
export function requireToken(
  guard: ResourceGuard,
  options: { scopes?: string[] } = {},
): MiddlewareHandler<{ Variables: { accessToken: VerifiedAccessToken } }> {
  return async (c, next) => {
    const result = await guard.check(c.req.raw, options);
    if (result.response) return result.response;
    c.set('accessToken', result.token);
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
 * Express middleware: refuses requests without a valid token and sets `req.accessToken`.
 *
 * @example
 * app.get('/api/notes', expressRequireToken(guard, { scopes: ['notes:read'] }), (req, res) => res.json(notesOf(req.accessToken.sub)));
 */
export function expressRequireToken(guard: ResourceGuard, options: { scopes?: string[] } = {}) {
  return (req: ExpressLikeRequest, res: ExpressLikeResponse, next: (error?: unknown) => void): void => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    const request = new Request(new URL(req.originalUrl ?? req.url, 'http://localhost'), { method: req.method, headers });
    guard
      .authenticate(request, options)
      .then((token) => {
        req.accessToken = token;
        next();
      })
      .catch(async (error: unknown) => {
        let response: Response;
        try {
          response = errorResponse(error, guard.realm);
        } catch (unexpected) {
          next(unexpected);
          return;
        }
        res.status(response.status);
        response.headers.forEach((value, name) => res.setHeader(name, value));
        const body = await response.text();
        if (body) res.send(body);
        else res.end();
      });
  };
}
