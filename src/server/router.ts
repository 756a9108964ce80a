import { Hono, type Context } from 'hono';
import { randomUUID } from 'node:crypto';
import { OAuthError } from '../core/errors.js';
import { scopeFor, type Capabilities, type ServerContext } from './context.js';
import { basePath, ROUTES, type RouteName } from './routes.js';
import { authorizationEndpoint } from './endpoints/authorize.js';
import { discoveryEndpoint, jwksEndpoint, serverMetadata } from './endpoints/discovery.js';
import { endSessionConfirm, endSessionEndpoint } from './endpoints/end-session.js';
import { interactionConsent, interactionContinue, interactionLogin, interactionPage, interactionSelectAccount } from './endpoints/interaction.js';
import { introspectionEndpoint } from './endpoints/introspection.js';
import { revocationEndpoint } from './endpoints/revocation.js';
import { tokenEndpoint } from './endpoints/token.js';
import { upstreamCallback, upstreamStart } from './endpoints/upstream.js';
import { userinfoEndpoint } from './endpoints/userinfo.js';
import { webauthnAsset } from './endpoints/assets.js';
import { favicon, homePage } from './endpoints/home.js';
import {
  accountContactAdd,
  accountContactConfirm,
  accountDone,
  accountEndOtherSessions,
  accountFactorRemove,
  accountLogout,
  accountNewRecoveryCodes,
  accountPage,
  accountPasskeyOptions,
  accountPasskeyRegister,
  accountReauth,
  accountRecoveryCodes,
  accountRevokeApp,
  accountTotpConfirm,
  accountTotpStart,
} from './endpoints/account.js';
import { interactionMfa, interactionMfaEnroll, interactionPasskey, interactionPasskeyOptions } from './endpoints/mfa.js';
import { errorPage } from './http/pages.js';
import { oauthErrorResponse, serverErrorResponse } from './http/responses.js';
import { healthzResponse, httpMetrics, operatorMetricsResponse, readinessCheck, readyzResponse } from './observability/index.js';
import { clientIp, hasUnvouchedForwarding, unconfiguredProxyWarning } from './protection/client-ip.js';
import { isStoreUnavailable } from '../stores/unavailable.js';
import { rateLimitedResponse } from './protection/rate-limited.js';

/** Health checks and metrics scrapes (operators, often and on purpose): exempt from per-address limits. */
const HEALTH_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

type Env = { Variables: { requestId: string; scope: ServerContext }; Bindings: { remoteAddress?: string } };

const CORS_PREFLIGHT = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type',
  'Access-Control-Max-Age': '600',
};
/** An endpoint: `id` is the `:id` path parameter (interactions), `params` all path parameters. */
type Endpoint = (ctx: ServerContext, request: Request, id: string, params: Record<string, string>) => Promise<Response> | Response;
type Method = 'GET' | 'POST';

/**
 * Routes requests to endpoints. Paths are relative to the issuer's path, so an issuer of
 * `https://example.com/auth` serves `https://example.com/auth/token`. API endpoints answer errors
 * as JSON; page endpoints (`page: true`) as an HTML error page.
 */
export function createRouter(ctx: Capabilities): Hono<Env> {
  const base = basePath(ctx.config);
  const metadata = serverMetadata(ctx);
  const app = new Hono<Env>();
  const pagePaths: RegExp[] = [];
  // First, so that refused (429) and failed requests are counted too.
  app.use(httpMetrics(ctx.metrics));
  const warnUnconfiguredProxy = unconfiguredProxyWarning(ctx.network.trustedProxies, ctx.logger);

  app.use(async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    // Typed as always there, but undefined when fetch() is called without an env (tests, other runtimes).
    const peer = (c.env as Env['Bindings'] | undefined)?.remoteAddress;
    const ip = clientIp(peer, c.req.raw.headers, ctx.network.trustedProxies, ctx.network.forwardedHeader);
    const unvouchedForwarding = hasUnvouchedForwarding(peer, c.req.raw.headers, ctx.network.trustedProxies);
    warnUnconfiguredProxy(peer, c.req.raw.headers);
    // Who is asking, for every step, log line and audit event of this request: passed, not ambient.
    const scope = scopeFor(ctx, { id: requestId, ip, unvouchedForwarding, userAgent: c.req.header('user-agent')?.slice(0, 300) ?? null });
    c.set('scope', scope);
    const path = c.req.path;
    // Health checks come from load balancers, often and on purpose: they do not count.
    const limited = HEALTH_PATHS.has(path) || ip === null ? undefined : await ctx.limits.consume('requestsPerIp', ip);
    if (limited) c.res = await rateLimitedResponse(scope, limited, isPage(c.req.url));
    else await next();
    c.res.headers.set('X-Request-Id', requestId);
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    if (ctx.config.secureCookies) c.res.headers.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  });

  const route = (path: string, methods: Method[], endpoint: Endpoint, page = false, cors = false): void => {
    if (page) pagePaths.push(new RegExp(`^${path.replace(/:[a-z]+/g, '[^/]+')}$`));
    if (cors) {
      // Browser apps (public clients) call these cross-origin. No cookies are involved: the
      // credentials travel in the request itself, so any origin may be allowed.
      app.options(path, () => new Response(null, { status: 204, headers: CORS_PREFLIGHT }));
      app.use(path, async (c, next) => {
        await next();
        c.res.headers.set('Access-Control-Allow-Origin', '*');
        c.res.headers.set('Access-Control-Expose-Headers', 'WWW-Authenticate');
      });
    }
    for (const method of methods) {
      const handler = (c: Context<Env>) => endpoint(c.get('scope'), c.req.raw, c.req.param('id') ?? '', c.req.param());
      app.on(method, path, handler);
      if (method === 'GET') app.on('HEAD', path, handler);
    }
    const allow = methods.flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method])).join(', ');
    app.all(path, () => {
      throw new OAuthError('invalid_request', `${path} accepts ${allow} only`, { status: 405, headers: { Allow: allow } });
    });
  };

  const readiness = readinessCheck(ctx.store, ctx.keys);
  route('/healthz', ['GET'], () => healthzResponse());
  route('/readyz', ['GET'], () => readyzResponse(readiness));
  route('/metrics', ['GET'], (scope, request) => {
    // Forwarded by a proxy that is not trusted: the peer address (loopback, say) is the proxy's, not the scraper's.
    const ip = scope.request.unvouchedForwarding ? null : scope.request.ip;
    return operatorMetricsResponse(ctx.metrics, ctx.network.operatorAllowList, ip, request, { token: ctx.network.metricsToken });
  });

  // The issuer URL is a page (at the root too: people type the host), and browsers ask for /favicon.ico.
  route('/', ['GET'], homePage, true);
  if (base !== '') route(base, ['GET'], homePage, true);
  route('/favicon.ico', ['GET'], favicon);
  const discovery = () => discoveryEndpoint(metadata);
  route(`${base}/.well-known/openid-configuration`, ['GET'], discovery);
  // RFC 8414 §3.1: the well-known segment goes between host and issuer path.
  route(`/.well-known/oauth-authorization-server${base}`, ['GET'], discovery);
  // Every route of the table, with its methods; `page`: errors answered as HTML; `cors`: called by browser apps.
  const at = (name: RouteName) => `${base}${ROUTES[name]}`;
  route(at('jwks'), ['GET'], jwksEndpoint);
  route(at('token'), ['POST'], tokenEndpoint, false, true);
  route(at('introspection'), ['POST'], introspectionEndpoint);
  route(at('revocation'), ['POST'], revocationEndpoint, false, true);
  route(at('userinfo'), ['GET', 'POST'], userinfoEndpoint, false, true);
  route(at('authorization'), ['GET', 'POST'], authorizationEndpoint, true);
  route(at('endSession'), ['GET', 'POST'], endSessionEndpoint, true);
  route(at('endSessionConfirm'), ['POST'], endSessionConfirm, true);
  route(at('interaction'), ['GET'], interactionPage, true);
  route(at('interactionLogin'), ['POST'], interactionLogin, true);
  route(at('interactionConsent'), ['POST'], interactionConsent, true);
  route(at('interactionSelectAccount'), ['POST'], interactionSelectAccount, true);
  route(at('interactionUpstream'), ['POST'], upstreamStart, true);
  route(at('interactionMfa'), ['POST'], interactionMfa, true);
  route(at('interactionMfaEnroll'), ['POST'], interactionMfaEnroll, true);
  route(at('interactionContinue'), ['POST'], interactionContinue, true);
  route(at('interactionPasskeyOptions'), ['POST'], interactionPasskeyOptions);
  route(at('interactionPasskey'), ['POST'], interactionPasskey);
  route(at('webauthnScript'), ['GET'], webauthnAsset);
  route(at('account'), ['GET'], accountPage, true);
  route(at('accountTotp'), ['POST'], accountTotpStart, true);
  route(at('accountTotpConfirm'), ['POST'], accountTotpConfirm, true);
  route(at('accountDone'), ['POST'], accountDone, true);
  route(at('accountRecoveryCodes'), ['POST'], accountRecoveryCodes, true);
  route(at('accountNewRecoveryCodes'), ['GET'], accountNewRecoveryCodes, true);
  route(at('accountContacts'), ['POST'], accountContactAdd, true);
  route(at('accountContactsConfirm'), ['POST'], accountContactConfirm, true);
  route(at('accountFactorRemove'), ['POST'], accountFactorRemove, true);
  route(at('accountReauth'), ['POST'], accountReauth, true);
  route(at('accountEndOtherSessions'), ['POST'], accountEndOtherSessions, true);
  route(at('accountRevokeApp'), ['POST'], accountRevokeApp, true);
  route(at('accountLogout'), ['POST'], accountLogout, true);
  route(at('accountPasskeyOptions'), ['POST'], accountPasskeyOptions);
  route(at('accountPasskeys'), ['POST'], accountPasskeyRegister);
  route(at('upstreamCallback'), ['GET', 'POST'], upstreamCallback, true);

  function isPage(url: string): boolean {
    const path = new URL(url).pathname;
    return pagePaths.some((pattern) => pattern.test(path));
  }
  app.notFound(() => oauthErrorResponse(new OAuthError('invalid_request', 'no endpoint at this path', { status: 404 })));
  app.onError((error, c) => {
    const requestId = c.get('requestId');
    if (error instanceof OAuthError) {
      return isPage(c.req.url) ? errorPage(ctx, error.status, 'Request not accepted', error.message, requestId) : oauthErrorResponse(error);
    }
    if (isStoreUnavailable(error)) {
      // The database or Redis is unreachable: a clean "try again", never a 500 with internals.
      ctx.logger.error({ err: error, request_id: requestId }, 'store unavailable');
      const unavailable = new OAuthError('temporarily_unavailable', 'the service is temporarily unavailable, try again shortly', {
        status: 503,
        headers: { 'Retry-After': '5' },
      });
      return isPage(c.req.url)
        ? errorPage(ctx, 503, 'Temporarily unavailable', 'Please try again in a few seconds.', requestId)
        : oauthErrorResponse(unavailable);
    }
    ctx.logger.error({ err: error, request_id: requestId, path: new URL(c.req.url).pathname }, 'unexpected error');
    return isPage(c.req.url)
      ? errorPage(ctx, 500, 'Something went wrong', 'An unexpected error occurred. Please try again later.', requestId)
      : serverErrorResponse(requestId);
  });
  return app;
}
