import { englishDetail } from '../ui/message-text.js';
import { Hono, type Context } from 'hono';
import { randomUUID } from 'node:crypto';
import { OAuthError } from '../core/errors.js';
import { scopeFor, type Capabilities, type ServerContext } from './context.js';
import { basePath, ROOT_PATHS, ROUTES, routePath, type RouteName } from './routes.js';
import { authorizationEndpoint } from './endpoints/authorize.js';
import { discoveryEndpoint, jwksEndpoint, serverMetadata } from './endpoints/discovery.js';
import { endSessionConfirm, endSessionEndpoint } from './endpoints/end-session.js';
import { interactionConsent, interactionContinue, interactionLogin, interactionPage, interactionSelectAccount } from './endpoints/interaction.js';
import { introspectionEndpoint } from './endpoints/introspection.js';
import { revocationEndpoint } from './endpoints/revocation.js';
import { tokenEndpoint } from './endpoints/token.js';
import { deviceAuthorizationEndpoint } from './endpoints/device-authorization.js';
import { pushedAuthorizationEndpoint } from './endpoints/pushed-authorization.js';
import { deviceCodeEntry, deviceCodePage } from './endpoints/device.js';
import { upstreamCallback, upstreamStart } from './endpoints/upstream.js';
import { userinfoEndpoint } from './endpoints/userinfo.js';
import { registrationClientEndpoint, registrationEndpoint } from './endpoints/registration.js';
import { powAsset, powChallengeEndpoint, webauthnAsset } from './endpoints/assets.js';
import {
  interactionSignUp,
  interactionSignUpPage,
  interactionVerifyEmail,
  interactionVerifyEmailPage,
  interactionVerifyEmailResend,
  signUpStart,
  verifyEmailLink,
  verifyEmailLinkPage,
} from './endpoints/sign-up.js';
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
import { accountEmail, accountEmailConfirm, accountPassword, accountPhone, accountPhoneConfirm, accountProfile } from './endpoints/account-details.js';
import { accountDelete, accountExportData } from './endpoints/account-data.js';
import { interactionMfa, interactionMfaEnroll, interactionPasskey, interactionPasskeyOptions } from './endpoints/mfa.js';
import { emailSignInLink, interactionEmailCode, interactionEmailCodeVerify } from './endpoints/email-sign-in.js';
import { forgotPasswordPage, forgotPasswordPost, resetPasswordMfa, resetPasswordPage, resetPasswordPost } from './endpoints/password-reset.js';
import { invitationAccept, invitationPage } from './endpoints/invitation.js';
import { ADMIN_API_ENDPOINTS } from './endpoints/admin-api.js';
import * as adminConsole from './endpoints/admin-console.js';
import { isClientAbort } from './http/client-abort.js';
import { closeWhenBodyUnread, isReadingBody } from './http/connection.js';
import { RequestDeadlineError, withinDeadline } from './http/deadline.js';
import { errorPage } from './http/pages.js';
import { languageHints } from './http/page-language.js';
import { languageSwitch } from './endpoints/language.js';
import { notFoundResponse, oauthErrorResponse, serverErrorResponse } from './http/responses.js';
import { healthzResponse, httpMetrics, operatorMetricsResponse, readinessCheck, readyzResponse } from './observability/index.js';
import { clientIp, hasUnvouchedForwarding, unconfiguredProxyWarning } from './protection/client-ip.js';
import { isStoreUnavailable } from '../stores/unavailable.js';
import { rateLimitedResponse } from './protection/rate-limited.js';
import { endRequestSpan, inRequestContext, nameRequestSpan, startRequestSpan } from '../core/tracing.js';

/**
 * `Retry-After` of a 503 when the store or a service behind it could not answer in time: Redis is
 * reconnected within a second of coming back and PostgreSQL at the next request, so a client that
 * waits this long finds the service back as soon as it can be, without retrying in a tight loop.
 */
const RETRY_AFTER_SECONDS = 2;

/** Health checks and metrics scrapes (operators, often and on purpose): exempt from per-address limits. */
const HEALTH_PATHS = new Set<string>([ROOT_PATHS.healthz, ROOT_PATHS.readyz, ROOT_PATHS.metrics]);

type Env = { Variables: { requestId: string; scope: ServerContext }; Bindings: { remoteAddress?: string } };

const CORS_PREFLIGHT = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type',
  'Access-Control-Max-Age': '600',
};
/** An endpoint: `id` is the `:id` path parameter (interactions), `params` all path parameters. */
type Endpoint = (ctx: ServerContext, request: Request, id: string, params: Record<string, string>) => Promise<Response> | Response;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A page and its form at one path: GET (and HEAD) to one endpoint, POST to the other. */
function byMethod(endpoints: Record<'GET' | 'POST', Endpoint>): Endpoint {
  return (scope, request, id, params) => (request.method === 'POST' ? endpoints.POST : endpoints.GET)(scope, request, id, params);
}

/** Several endpoints at one path, one per method (HEAD answered as GET). */
function byMethods(endpoints: Partial<Record<Method, Endpoint>>): Endpoint {
  return (scope, request, id, params) => endpoints[(request.method === 'HEAD' ? 'GET' : request.method) as Method]!(scope, request, id, params);
}

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
  // Answered from memory: discovery (both well-known paths), the JWKS and static assets. Their
  // per-address limit is counted in this process, so that they keep answering, at once, while
  // Redis (where the other limits are counted) hangs or is down.
  const servedFromMemory = new Set([
    `${base}/.well-known/openid-configuration`,
    `/.well-known/oauth-authorization-server${base}`,
    `${base}${ROUTES.jwks}`,
    ROOT_PATHS.favicon,
    `${base}${ROUTES.webauthnScript}`,
    `${base}${ROUTES.powScript}`,
    // A challenge is signed in memory (HMAC), nothing stored: it keeps answering while Redis is away.
    `${base}${ROUTES.powChallenge}`,
  ]);
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
    const path = c.req.path;
    // The request's span (continuing the caller's trace), when an OpenTelemetry SDK is registered.
    const trace = startRequestSpan(c.req.method, path, c.req.raw.headers);
    // Who is asking, for every step, log line and audit event of this request: passed, not ambient.
    const userAgent = c.req.header('user-agent')?.slice(0, 300) ?? null;
    const languages = languageHints(ctx, c.req.raw);
    const scope = scopeFor(ctx, { id: requestId, ip, unvouchedForwarding, userAgent, languages, ...(trace ? { trace } : {}) });
    c.set('scope', scope);
    const handle = async (): Promise<void> => {
      // Health checks come from load balancers, often and on purpose: they do not count.
      const limited =
        HEALTH_PATHS.has(path) || ip === null
          ? undefined
          : servedFromMemory.has(path)
            ? await ctx.limits.consumeInProcess('requestsPerIp', ip)
            : await ctx.limits.consume('requestsPerIp', ip);
      if (limited) c.res = await rateLimitedResponse(scope, limited, isPage(c.req.url));
      else await next();
    };
    try {
      // Traced: the endpoint runs with the request's span active, the parent of its store calls'.
      await withinDeadline(trace ? inRequestContext(trace, handle) : handle(), ctx.config.limits.requestDeadlineMs);
    } catch (error) {
      if (!(error instanceof RequestDeadlineError)) {
        if (trace) endRequestSpan(trace, 500, error);
        throw error;
      }
      c.res = pastDeadline(c.req.raw, error, requestId, scope);
    }
    if (trace) endRequestSpan(trace, c.res.status, c.error);
    c.res.headers.set('X-Request-Id', requestId);
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    // Answered before the body was read to its end (413, 415-like refusals, 429, an abort): the
    // connection cannot carry another request, so say so and have the host close it.
    closeWhenBodyUnread(c.req.raw, c.res);
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
      const handler = (c: Context<Env>) => {
        const scope = c.get('scope');
        if (scope.request.trace) nameRequestSpan(scope.request.trace, c.req.method, path);
        return endpoint(scope, c.req.raw, c.req.param('id') ?? '', c.req.param());
      };
      app.on(method, path, handler);
      if (method === 'GET') app.on('HEAD', path, handler);
    }
    const allow = methods.flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method])).join(', ');
    app.all(path, () => {
      throw new OAuthError('invalid_request', `${path} accepts ${allow} only`, { status: 405, headers: { Allow: allow } });
    });
  };

  const readiness = readinessCheck(ctx.store, ctx.keys);
  route(ROOT_PATHS.healthz, ['GET'], () => healthzResponse());
  route(ROOT_PATHS.readyz, ['GET'], () => readyzResponse(readiness));
  route(ROOT_PATHS.metrics, ['GET'], (scope, request) => {
    // Forwarded by a proxy that is not trusted: the peer address (loopback, say) is the proxy's, not the scraper's.
    const ip = scope.request.unvouchedForwarding ? null : scope.request.ip;
    return operatorMetricsResponse(ctx.metrics, ctx.network.operatorAllowList, ip, request, { token: ctx.network.metricsToken });
  });

  // The issuer URL is a page (at the root too: people type the host), and browsers ask for /favicon.ico.
  route('/', ['GET'], homePage, true);
  if (base !== '') route(base, ['GET'], homePage, true);
  route(ROOT_PATHS.favicon, ['GET'], favicon);
  const discovery = () => discoveryEndpoint(metadata);
  route(`${base}/.well-known/openid-configuration`, ['GET'], discovery);
  // RFC 8414 §3.1: the well-known segment goes between host and issuer path.
  route(`/.well-known/oauth-authorization-server${base}`, ['GET'], discovery);
  // Every route of the table, with its methods; `page`: errors answered as HTML; `cors`: called by browser apps.
  // The admin routes are served under `admin.path` (routePath), like every link to them.
  const at = (name: RouteName) => `${base}${routePath(ctx.config, name)}`;
  route(at('jwks'), ['GET'], jwksEndpoint);
  route(at('token'), ['POST'], tokenEndpoint, false, true);
  route(at('introspection'), ['POST'], introspectionEndpoint);
  route(at('revocation'), ['POST'], revocationEndpoint, false, true);
  route(at('userinfo'), ['GET', 'POST'], userinfoEndpoint, false, true);
  route(at('authorization'), ['GET', 'POST'], authorizationEndpoint, true);
  // Dynamic client registration (RFC 7591, RFC 7592), unless `registration.policy` is off.
  if (ctx.config.registration.policy !== 'off') {
    route(at('registration'), ['POST'], registrationEndpoint, false, true);
    route(at('registrationClient'), ['GET', 'PUT', 'DELETE'], registrationClientEndpoint);
  }
  route(at('endSession'), ['GET', 'POST'], endSessionEndpoint, true);
  route(at('endSessionConfirm'), ['POST'], endSessionConfirm, true);
  route(at('deviceAuthorization'), ['POST'], deviceAuthorizationEndpoint, false, true);
  route(at('pushedAuthorizationRequest'), ['POST'], pushedAuthorizationEndpoint, false, true);
  route(at('device'), ['GET', 'POST'], byMethod({ GET: deviceCodePage, POST: deviceCodeEntry }), true);
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
  route(at('accountProfile'), ['POST'], accountProfile, true);
  route(at('accountPhone'), ['POST'], accountPhone, true);
  route(at('accountPhoneConfirm'), ['POST'], accountPhoneConfirm, true);
  route(at('accountEmail'), ['POST'], accountEmail, true);
  route(at('accountEmailConfirm'), ['GET', 'POST'], accountEmailConfirm, true);
  route(at('accountPassword'), ['POST'], accountPassword, true);
  route(at('accountExport'), ['GET'], accountExportData);
  route(at('accountDelete'), ['GET', 'POST'], accountDelete, true);
  route(at('upstreamCallback'), ['GET', 'POST'], upstreamCallback, true);
  // Forgotten password (issue 17): the form and its answer, the emailed link and its second factor.
  route(at('language'), ['POST'], languageSwitch, true);
  route(at('forgotPassword'), ['GET', 'POST'], byMethod({ GET: forgotPasswordPage, POST: forgotPasswordPost }), true);
  route(at('resetPassword'), ['GET', 'POST'], byMethod({ GET: resetPasswordPage, POST: resetPasswordPost }), true);
  route(at('resetPasswordMfa'), ['POST'], resetPasswordMfa, true);
  // Sign-in by email (issue 17): the code asked from the login page, typed, or the emailed link.
  route(at('interactionEmailCode'), ['POST'], interactionEmailCode, true);
  route(at('interactionEmailCodeVerify'), ['POST'], interactionEmailCodeVerify, true);
  route(at('emailSignIn'), ['GET'], emailSignInLink, true);
  // Sign-up and email verification (issue 17), and the proof-of-work challenge its forms carry.
  route(at('signUp'), ['GET'], signUpStart, true);
  route(at('interactionSignUp'), ['GET', 'POST'], byMethod({ GET: interactionSignUpPage, POST: interactionSignUp }), true);
  route(at('interactionVerifyEmail'), ['GET', 'POST'], byMethod({ GET: interactionVerifyEmailPage, POST: interactionVerifyEmail }), true);
  route(at('interactionVerifyEmailResend'), ['POST'], interactionVerifyEmailResend, true);
  route(at('verifyEmail'), ['GET', 'POST'], byMethod({ GET: verifyEmailLinkPage, POST: verifyEmailLink }), true);
  route(at('powChallenge'), ['GET'], powChallengeEndpoint);
  route(at('powScript'), ['GET'], powAsset);
  // Invitations (issue 17): the emailed link's 'Set your password' page and its answer.
  route(at('invitation'), ['GET', 'POST'], byMethod({ GET: invitationPage, POST: invitationAccept }), true);
  // The admin API (issue 18), when turned on: every operation of its table, grouped by path.
  if (ctx.config.admin.api) {
    const paths = new Map<RouteName, Partial<Record<Method, Endpoint>>>();
    for (const { operation, endpoint } of ADMIN_API_ENDPOINTS) {
      const methods = paths.get(operation.route) ?? {};
      methods[operation.method] = endpoint;
      paths.set(operation.route, methods);
    }
    for (const [name, methods] of paths) route(at(name), Object.keys(methods) as Method[], byMethods(methods));
  }

  // The admin console (issue 18), when turned on. `adminClientNew` before `adminClient`: its path would match `:id`.
  if (ctx.config.admin.console) {
    route(at('adminDashboard'), ['GET'], adminConsole.adminDashboard, true);
    route(at('adminReauth'), ['POST'], adminConsole.adminReauth, true);
    route(at('adminClients'), ['GET'], adminConsole.adminClients, true);
    route(at('adminClientNew'), ['GET', 'POST'], byMethod({ GET: adminConsole.adminClientNewPage, POST: adminConsole.adminClientRegister }), true);
    route(at('adminClient'), ['GET'], adminConsole.adminClient, true);
    route(at('adminClientRedirectUris'), ['POST'], adminConsole.adminClientRedirectUris, true);
    route(at('adminClientSecret'), ['POST'], adminConsole.adminClientSecret, true);
    route(at('adminClientDelete'), ['POST'], adminConsole.adminClientDelete, true);
    route(at('adminUsers'), ['GET'], adminConsole.adminUsers, true);
    route(at('adminUser'), ['GET'], adminConsole.adminUser, true);
    route(at('adminUserUnlock'), ['POST'], adminConsole.adminUserUnlock, true);
    route(at('adminUserDisabled'), ['POST'], adminConsole.adminUserDisabled, true);
    route(at('adminUserSessionsRevoke'), ['POST'], adminConsole.adminUserSessionsRevoke, true);
    route(at('adminUserFactorsReset'), ['POST'], adminConsole.adminUserFactorsReset, true);
    route(at('adminUserAdminRole'), ['POST'], adminConsole.adminUserAdminRole, true);
    route(at('adminUserDelete'), ['POST'], adminConsole.adminUserDelete, true);
    route(at('adminUserConsentRevoke'), ['POST'], adminConsole.adminUserConsentRevoke, true);
    route(at('adminKeys'), ['GET'], adminConsole.adminKeys, true);
    route(at('adminKeysRotate'), ['POST'], adminConsole.adminKeysRotate, true);
    route(at('adminAudit'), ['GET'], adminConsole.adminAudit, true);
    route(at('adminAuditVerify'), ['GET'], adminConsole.adminAuditVerify, true);
  }

  function isPage(url: string): boolean {
    const path = new URL(url).pathname;
    return pagePaths.some((pattern) => pattern.test(path));
  }
  /**
   * The answer at the request deadline: `408` while the client is still sending its body (it is the
   * slow party; RFC 9110 §15.5.9), otherwise `503` with `Retry-After`, as for a store that is down.
   */
  function pastDeadline(request: Request, error: RequestDeadlineError, requestId: string, at: Capabilities | ServerContext): Response {
    if (isReadingBody(request)) {
      ctx.logger.debug({ request_id: requestId, deadline_ms: error.deadlineMs }, 'request body not received within the request deadline');
      return refusal(request.url, new OAuthError('invalid_request', 'the request body did not arrive in time', { status: 408 }), requestId, at);
    }
    ctx.metrics.storeUnavailable.inc();
    ctx.logger.error({ request_id: requestId, deadline_ms: error.deadlineMs, path: new URL(request.url).pathname }, 'request deadline passed');
    return unavailable(request.url, requestId, at);
  }

  /**
   * An OAuth error: JSON, or an error page on the pages, in the user's language (`at`: the
   * request's scope, when it got that far). The description stays as the error has it: RFC 6749's
   * wording for the application's developer, quoted as the details.
   */
  function refusal(url: string, error: OAuthError, requestId: string, at: Capabilities | ServerContext = ctx): Response {
    return isPage(url)
      ? errorPage(
          at,
          error.status,
          { key: 'error.notAccepted.title' },
          { key: 'error.notAccepted.message', values: { detail: englishDetail(error.message) } },
          { requestId },
        )
      : oauthErrorResponse(error);
  }

  /** `503` `temporarily_unavailable` with `Retry-After`: JSON, or an error page on the pages. */
  function unavailable(url: string, requestId: string, at: Capabilities | ServerContext = ctx): Response {
    if (!isPage(url)) {
      return oauthErrorResponse(
        new OAuthError('temporarily_unavailable', 'the service is temporarily unavailable, try again shortly', {
          status: 503,
          headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
        }),
      );
    }
    const page = errorPage(at, 503, { key: 'error.unavailable.title' }, { key: 'error.unavailable.message' }, { requestId });
    page.headers.set('Retry-After', String(RETRY_AFTER_SECONDS));
    return page;
  }

  app.notFound(() => notFoundResponse());
  app.onError((error, c) => {
    const requestId = c.get('requestId');
    // The request's logger: with `trace_id` and `span_id` when it is traced.
    const logger = (c.get('scope') as ServerContext | undefined)?.logger ?? ctx.logger;
    const at = (c.get('scope') as ServerContext | undefined) ?? ctx;
    const refuse = (error: OAuthError) => refusal(c.req.url, error, requestId, at);
    if (isClientAbort(error)) {
      // The client went away mid-request (its connection closed or reset while the body was read):
      // nothing failed here. Debug only, and never a store failure: anyone can do this at will.
      ctx.metrics.clientAborts.inc();
      logger.debug({ request_id: requestId, reason: error.reason, detail: abortDetail(error.cause) }, 'client aborted the request');
      return refuse(new OAuthError('invalid_request', 'the request was not received in full'));
    }
    if (error instanceof OAuthError) return refuse(error);
    if (isStoreUnavailable(error)) {
      // The database, Redis or a service behind them is unreachable, or did not answer within its
      // deadline: a clean "try again", never a 500 with internals.
      ctx.metrics.storeUnavailable.inc();
      logger.error({ err: error, request_id: requestId }, 'store unavailable');
      return unavailable(c.req.url, requestId, at);
    }
    logger.error({ err: error, request_id: requestId, path: new URL(c.req.url).pathname }, 'unexpected error');
    return isPage(c.req.url)
      ? errorPage(at, 500, { key: 'error.unexpected.title' }, { key: 'error.unexpected.message' }, { requestId })
      : serverErrorResponse(requestId);
  });
  return app;
}

/** One path, a page (GET, HEAD) and its form's answer (POST). */
/** What the host reported when the body broke off (`ECONNRESET`, "aborted"): a code or a short message, for the debug line. */
function abortDetail(cause: unknown): string | undefined {
  if (!(cause instanceof Error)) return undefined;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? code : cause.message.slice(0, 100);
}
