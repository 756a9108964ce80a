import { decoyHash, verifyPassword } from '../../core/password.js';
import { auditEvent } from '../audit/events.js';
import type { ClientRecord, UserRecord } from '../../stores/contract.js';
import { interactionClient } from '../interaction/account-client.js';
import { acrFor, mfaRequirement } from '../mfa/policy.js';
import { rateLimitedResponse } from '../protection/rate-limited.js';
import { failureDelayMs, reserveSignIn, signInTarget } from '../protection/sign-in-attempts.js';
import { recordConsent } from '../consent.js';
import { clientAddress, type ServerContext } from '../context.js';
import { readForm, type FormParams } from '../http/form.js';
import { advanceInteraction, wrongUserResponse } from '../interaction/advance.js';
import { authorizationResponse } from '../interaction/authorization-response.js';
import { advanceInteractionState, earned, finishInteraction, loadInteraction, type Interaction } from '../interaction/interactions.js';
import { errorPage, interactionPath, loginPage, wasShownTo } from '../interaction/pages.js';
import { readCookie } from '../http/cookies.js';
import { browserBinding, browserCookieName, existingBrowserId, identifyBrowser, verifyCsrf } from '../session/browser.js';
import { loadSession, startSession, type Session } from '../session/sessions.js';

const EXPIRED_TITLE = 'Sign-in request expired';
const EXPIRED_MESSAGE = 'This sign-in request has expired or was already used. Go back to the application and start again.';
/** Said for an unknown user, a wrong password and a disabled account alike. */
export const LOGIN_FAILED = 'The username or password is incorrect.';

interface Loaded {
  interaction: Interaction;
  client: ClientRecord;
  browserId: string;
}

/** Marks the second visit of a sign-in page after the browser was given a cookie to send back. */
const COOKIE_CHECK = 'cookie_check';

/**
 * A request that carries no browser cookie at all: on a page visit, the browser is given one and
 * sent to the same page again (`?cookie_check=1`); if it comes back without it too — or a form is
 * posted without it, when the page before had it — cookies are blocked, and the page says so
 * instead of "expired". A browser that does send a cookie, just not the sign-in's (a link opened
 * in another browser), gets the expired page.
 */
function missingCookie(ctx: ServerContext, request: Request): Response {
  const url = new URL(request.url);
  if ((request.method === 'GET' || request.method === 'HEAD') && !url.searchParams.has(COOKIE_CHECK)) {
    const browser = identifyBrowser(ctx, request);
    url.searchParams.set(COOKIE_CHECK, '1');
    const headers = new Headers({ Location: `${ctx.config.issuerUrl.origin}${url.pathname}${url.search}`, 'Cache-Control': 'no-store' });
    if (browser.setCookie) headers.append('Set-Cookie', browser.setCookie);
    return new Response(null, { status: 303, headers });
  }
  return errorPage(
    ctx,
    400,
    'Cookies are needed to sign in',
    `Your browser did not send the cookie that keeps this sign-in safe. Allow cookies for ${ctx.config.issuerUrl.host} in your browser’s settings, then go back to the application and sign in again.`,
  );
}

/**
 * Loads the interaction of the path, checking it belongs to this browser. A `Response` means an
 * error page was the answer (no cookie, expired, unknown, other browser).
 */
export async function load(ctx: ServerContext, request: Request, id: string): Promise<Loaded | Response> {
  if (readCookie(request, browserCookieName(ctx)) === undefined) return missingCookie(ctx, request);
  const interaction = await loadInteraction(ctx, id);
  const browserId = existingBrowserId(ctx, request);
  if (!interaction || !browserId || browserBinding(ctx, browserId) !== interaction.state.browser) {
    return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
  }
  const client = await interactionClient(ctx, interaction.state.request.clientId);
  if (!client) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
  return { interaction, client, browserId };
}

/** Loads the interaction and the posted form, checking the CSRF token. */
export async function loadPost(ctx: ServerContext, request: Request, id: string): Promise<(Loaded & { form: FormParams }) | Response> {
  const loaded = await load(ctx, request, id);
  if (loaded instanceof Response) return loaded;
  const form = await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes });
  if (!verifyCsrf(ctx, loaded.browserId, id, form.get('csrf'))) {
    return errorPage(ctx, 403, 'Request not accepted', 'The form was not accepted (it may have been open too long, or sent from another site). Go back to the application and try again.');
  }
  return { ...loaded, form };
}

export function seeOther(ctx: ServerContext, id: string, setCookies: string[] = []): Response {
  const headers = new Headers({ Location: `${ctx.config.issuerUrl.origin}${interactionPath(ctx, id)}`, 'Cache-Control': 'no-store' });
  for (const cookie of setCookies) headers.append('Set-Cookie', cookie);
  return new Response(null, { status: 303, headers });
}

/** GET /interaction/:id — the page of the next step. */
export async function interactionPage(ctx: ServerContext, request: Request, id: string): Promise<Response> {
  const loaded = await load(ctx, request, id);
  if (loaded instanceof Response) return loaded;
  const session = await loadSession(ctx, request);
  return advanceInteraction(ctx, loaded.interaction, loaded.client, session, loaded.browserId, []);
}

/**
 * POST /interaction/:id/login — username or email and password. A failure says the same thing
 * whether or not the account exists, and takes about as long (a decoy hash is verified).
 */
export async function interactionLogin(ctx: ServerContext, request: Request, id: string): Promise<Response> {
  const loaded = await loadPost(ctx, request, id);
  if (loaded instanceof Response) return loaded;
  const { interaction, client, browserId, form } = loaded;
  const login = form.get('username')?.trim() ?? '';
  const password = form.get('password') ?? '';
  const user = login ? await ctx.store.users.findByLogin(login) : undefined;
  // Counted per account, whichever name was typed (username or email); unknown names count by what was typed.
  const attempt = await reserveSignIn(ctx, await signInTarget(ctx, { login, user, browserId, ip: clientAddress(ctx) }));
  if (attempt.limited) {
    ctx.metrics.signInFailures.inc({ reason: 'rate_limited' });
    return rateLimitedResponse(ctx, attempt.limited, request);
  }
  const valid = await verifyPassword(user?.passwordHash ?? (await decoyHash()), password);
  if (!user || !valid || user.disabled || user.passwordHash === null) {
    const reason = !user ? 'unknown_user' : user.disabled ? 'account_disabled' : 'bad_credentials';
    await ctx.audit.record(auditEvent('login.failed', { client_id: client.clientId, reason }));
    ctx.metrics.signInFailures.inc({ reason });
    // Progressive delay: each further failure on the account waits longer before the answer.
    await new Promise((resolve) => setTimeout(resolve, failureDelayMs(attempt)));
    return loginPage({ ctx, interaction, client, browserId, setCookies: [] }, LOGIN_FAILED);
  }
  await attempt.refund();
  return firstFactorPassed(ctx, request, interaction, client, user, ['pwd']);
}

/**
 * After the first factor (password, upstream provider): when the MFA policy asks for a second one,
 * the interaction remembers the user and the page asks for it — no session exists until then.
 * Otherwise the session starts now.
 */
export async function firstFactorPassed(ctx: ServerContext, request: Request, interaction: Interaction, client: ClientRecord, user: UserRecord, amr: string[], extraCookies: string[] = [], provider?: string): Promise<Response> {
  const hinted = interaction.state.request.hintedSub;
  // OIDC Core §3.1.2.1: another user than the one `id_token_hint` names ends the request (before any second factor).
  if (hinted !== undefined && hinted !== user.id) return wrongUserResponse(ctx, interaction, extraCookies);
  const mfa = await mfaRequirement(ctx, client, interaction.state.request, user.id);
  const now = ctx.clock.now();
  const base = { ...interaction.state, accountChosen: user.id, loginRequested: false };
  if (mfa.required) {
    const next = await advanceInteractionState(ctx, interaction, { ...base, pendingUser: user.id, pendingAmr: amr, pendingProvider: provider });
    if (!next) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
    await ctx.audit.record(auditEvent('mfa.challenge', { client_id: client.clientId, sub: user.id }));
    return seeOther(ctx, next.id, extraCookies);
  }
  const next = await advanceInteractionState(ctx, interaction, { ...base, loggedIn: earned(user.id, now) });
  if (!next) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
  const { setCookie } = await startSession(ctx, request, user, { amr, acr: acrFor(amr), ...(provider ? { provider } : {}) }, client.clientId);
  await ctx.audit.record(auditEvent('login.succeeded', { client_id: client.clientId, sub: user.id, amr }));
  return seeOther(ctx, next.id, [...extraCookies, setCookie]);
}

/**
 * Loads a form that was shown to one signed-in user (consent, account choice): CSRF-checked, and
 * its `shown_to` must name the user signed in now. If the browser's session belongs to someone
 * else by now (a sign-in in another tab), nothing is recorded: the current step is shown again,
 * for whoever is signed in.
 */
async function loadUserPost(ctx: ServerContext, request: Request, id: string): Promise<(Loaded & { form: FormParams; session: Session }) | Response> {
  const loaded = await loadPost(ctx, request, id);
  if (loaded instanceof Response) return loaded;
  const session = await loadSession(ctx, request);
  if (!session || !wasShownTo(ctx, session.user.id, loaded.form.get('shown_to'))) {
    return advanceInteraction(ctx, loaded.interaction, loaded.client, session, loaded.browserId, []);
  }
  return { ...loaded, session };
}

/** POST /interaction/:id/consent — `decision=approve` or `deny`, by the user the page was shown to. */
export async function interactionConsent(ctx: ServerContext, request: Request, id: string): Promise<Response> {
  const loaded = await loadUserPost(ctx, request, id);
  if (loaded instanceof Response) return loaded;
  const { interaction, client, browserId, form, session } = loaded;
  const { request: authorization } = interaction.state;
  if (form.get('decision') !== 'approve') {
    if (!(await finishInteraction(ctx, interaction))) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
    await ctx.audit.record(auditEvent('consent.denied', { client_id: client.clientId, sub: session.user.id }));
    const target = { redirectUri: authorization.redirectUri, responseMode: authorization.responseMode, state: authorization.state };
    return authorizationResponse(ctx, target, { error: 'access_denied', error_description: 'the user denied the request' });
  }
  const next = await advanceInteractionState(ctx, interaction, { ...interaction.state, consented: session.user.id });
  if (!next) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
  await recordConsent(ctx, session.user.id, client.clientId, authorization.scope);
  await ctx.audit.record(auditEvent('consent.granted', { client_id: client.clientId, sub: session.user.id, scope: authorization.scope.join(' ') }));
  return advanceInteraction(ctx, next, client, session, browserId, []);
}

/** POST /interaction/:id/select-account — `choice=current` (the account the page showed) or `other`. */
export async function interactionSelectAccount(ctx: ServerContext, request: Request, id: string): Promise<Response> {
  const loaded = await loadUserPost(ctx, request, id);
  if (loaded instanceof Response) return loaded;
  const { interaction, form, session } = loaded;
  const other = form.get('choice') === 'other';
  const next = await advanceInteractionState(ctx, interaction, { ...interaction.state, accountChosen: other ? undefined : session.user.id, loginRequested: other });
  if (!next) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
  return seeOther(ctx, next.id);
}
