import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { UNMATCHED_ROUTE, type Metrics } from './metrics.js';

/** Methods kept as their own label value; anything else a client sends is `OTHER`. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Paths that global middleware (`app.use(fn)`) is registered under: never a route of their own. */
const MIDDLEWARE_PATHS = new Set(['/*', '*']);

/**
 * Hono middleware recording `httpRequests` and `httpDuration` for every request. The `route` label
 * is the matched route PATTERN (`/interaction/:id`), never the path: interaction ids, client ids
 * and scanners' probes would otherwise each make new time series. Requests that match no route
 * count as {@link UNMATCHED_ROUTE}. Errors answered by `app.onError` are recorded with the status
 * they were answered with. Register it first, before any route.
 *
 * @example
 * const app = new Hono();
 * app.use(httpMetrics(metrics));
 */
export function httpMetrics(metrics: Pick<Metrics, 'httpRequests' | 'httpDuration'>): MiddlewareHandler {
  return async function httpMetricsMiddleware(c, next) {
    const started = performance.now();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      const route = routePattern(c);
      const method = methodLabel(c.req.method);
      metrics.httpRequests.inc({ route, method, status: String(status) });
      metrics.httpDuration.observe({ route, method }, (performance.now() - started) / 1000);
    }
  };
}

/**
 * The pattern of the route a request matched: the last matched route that is not global
 * middleware. Every handler registered for a path (method handlers, the 405 catch-all, CORS
 * middleware) shares the path's pattern, so whichever answered, the label is the same.
 */
function routePattern(c: Context): string {
  const routes = matchedRoutes(c);
  for (let index = routes.length - 1; index >= 0; index -= 1) {
    const path = routes[index]?.path;
    if (path !== undefined && !MIDDLEWARE_PATHS.has(path)) return path;
  }
  return UNMATCHED_ROUTE;
}

/** The `method` label: a standard method, or `OTHER` (a client may send any token as a method). */
export function methodLabel(method: string): string {
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : 'OTHER';
}
