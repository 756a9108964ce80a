import { Hono } from 'hono';
import { randomUUID } from 'node:crypto';
import { OAuthError } from '../core/errors.js';
import { ENDPOINT_PATHS, type ServerContext } from './context.js';
import { discoveryEndpoint, jwksEndpoint, serverMetadata } from './endpoints/discovery.js';
import { introspectionEndpoint } from './endpoints/introspection.js';
import { revocationEndpoint } from './endpoints/revocation.js';
import { tokenEndpoint } from './endpoints/token.js';
import { oauthErrorResponse, serverErrorResponse } from './http/responses.js';

type Env = { Variables: { requestId: string } };
type Endpoint = (ctx: ServerContext, request: Request) => Promise<Response> | Response;

/**
 * Routes requests to endpoints. Paths are relative to the issuer's path, so an issuer of
 * `https://example.com/auth` serves `https://example.com/auth/token`.
 */
export function createRouter(ctx: ServerContext): Hono<Env> {
  const base = ctx.options.issuerUrl.pathname.replace(/\/$/, '');
  const metadata = serverMetadata(ctx);
  const app = new Hono<Env>();

  app.use(async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    await next();
    c.res.headers.set('X-Request-Id', requestId);
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
  });

  const route = (path: string, method: 'GET' | 'POST', endpoint: Endpoint): void => {
    app.on(method, path, (c) => endpoint(ctx, c.req.raw));
    if (method === 'GET') app.on('HEAD', path, (c) => endpoint(ctx, c.req.raw));
    app.all(path, () => {
      throw new OAuthError('invalid_request', `${path} accepts ${method} only`, { status: 405, headers: { Allow: method === 'GET' ? 'GET, HEAD' : method } });
    });
  };

  const discovery = () => discoveryEndpoint(metadata);
  route(`${base}/.well-known/openid-configuration`, 'GET', discovery);
  // RFC 8414 §3.1: the well-known segment goes between host and issuer path.
  route(`/.well-known/oauth-authorization-server${base}`, 'GET', discovery);
  route(`${base}${ENDPOINT_PATHS.jwks}`, 'GET', jwksEndpoint);
  route(`${base}${ENDPOINT_PATHS.token}`, 'POST', tokenEndpoint);
  route(`${base}${ENDPOINT_PATHS.introspection}`, 'POST', introspectionEndpoint);
  route(`${base}${ENDPOINT_PATHS.revocation}`, 'POST', revocationEndpoint);

  app.notFound((c) => oauthErrorResponse(new OAuthError('invalid_request', `no endpoint at ${new URL(c.req.url).pathname}`, { status: 404 })));
  app.onError((error, c) => {
    if (error instanceof OAuthError) return oauthErrorResponse(error);
    const requestId = c.get('requestId');
    ctx.logger.error({ err: error, request_id: requestId, path: new URL(c.req.url).pathname }, 'unexpected error');
    return serverErrorResponse(requestId);
  });
  return app;
}
