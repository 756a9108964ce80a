import { englishDetail } from '../../ui/message-text.js';
import { renderLogoutConfirmPage, renderSignedOutPage } from '../../ui/index.js';
import { auditEvent } from '../audit/events.js';
import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { parseForm, readForm, type FormParams } from '../http/form.js';
import { htmlResponse } from '../http/html.js';
import { errorPage, pageBase, type PageMessage } from '../http/pages.js';
import { pageLanguage, parseUiLocales } from '../http/page-language.js';
import { pipeline } from '../http/pipeline.js';
import { redirect } from '../http/responses.js';
import { csrfToken, existingBrowserId, identifyBrowser } from '../session/browser.js';
import { csrfRefusal } from '../steps/csrf.js';
import { endSession, loadSession, type Session } from '../session/sessions.js';
import { verifyIdTokenHint } from '../tokens/id-token.js';
import { pathTo } from '../routes.js';
import { ClientDocumentError } from '../clients/client-documents.js';
import { findClient, type ClientLookupContext } from '../clients/find-client.js';

const CSRF_SUBJECT = 'logout';

/** A validated logout request: where to send the browser afterwards, if anywhere. */
interface LogoutRequest {
  client: ClientRecord | undefined;
  postLogoutRedirectUri: string | undefined;
  state: string | undefined;
  hintedSub: string | undefined;
  /** `sid` of the hint: the sign-in session the ID token was issued in. */
  hintedSid: string | undefined;
  /** `ui_locales` (RP-Initiated Logout 1.0 §2): the languages of the pages, most preferred first. */
  uiLocales: string[];
}

/** A logout request that is not honoured; `reason` is shown on the 400 page, in the language of its `ui_locales`. */
class LogoutError extends Error {
  constructor(
    readonly reason: PageMessage,
    readonly uiLocales: readonly string[],
  ) {
    super(reason.key);
  }
}

/** The parameters of a logout request: the query of a GET, the form of a POST (RP-Initiated Logout 1.0 §2). */
async function readLogoutParams({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<{ params: FormParams }> {
  const params =
    request.method === 'POST' ? await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes }) : parseForm(new URL(request.url).search.slice(1), []);
  return { params };
}

/**
 * Validates RP-Initiated Logout parameters (OpenID Connect RP-Initiated Logout 1.0 §2, §3):
 * `post_logout_redirect_uri` is honoured only when it exactly matches one registered for the
 * client identified by `client_id` or `id_token_hint`; otherwise nothing is redirected anywhere.
 * Throws {@link LogoutError}.
 */
async function checkLogoutRequest({
  ctx,
  params,
}: {
  ctx: Pick<ServerContext, 'keys' | 'config'> & ClientLookupContext;
  params: FormParams;
}): Promise<{ logout: LogoutRequest }> {
  const uiLocales = parseUiLocales(params.get('ui_locales'));
  const hintToken = params.get('id_token_hint');
  const hint = hintToken === undefined ? undefined : await verifyIdTokenHint(ctx, hintToken);
  if (hintToken !== undefined && !hint) throw new LogoutError({ key: 'error.logout.badHint' }, uiLocales);
  const clientIdParam = params.get('client_id');
  if (hint && clientIdParam !== undefined && !hint.audience.includes(clientIdParam)) {
    throw new LogoutError({ key: 'error.logout.clientMismatch' }, uiLocales);
  }
  const clientId = clientIdParam ?? (hint?.audience.length === 1 ? hint.audience[0] : undefined);
  const client = clientId === undefined ? undefined : await logoutClient(ctx, clientId);
  if (clientId !== undefined && !client) throw new LogoutError({ key: 'error.logout.unknownClient' }, uiLocales);
  const postLogoutRedirectUri = params.get('post_logout_redirect_uri');
  if (postLogoutRedirectUri !== undefined && !client?.postLogoutRedirectUris.includes(postLogoutRedirectUri)) {
    throw new LogoutError({ key: 'error.logout.unregisteredRedirect' }, uiLocales);
  }
  return { logout: { client, postLogoutRedirectUri, state: params.get('state'), hintedSub: hint?.sub, hintedSid: hint?.sid, uiLocales } };
}

/** The client of a logout request: registered, or from its metadata document (one that cannot be used: none). */
async function logoutClient(ctx: ClientLookupContext, clientId: string): Promise<ClientRecord | undefined> {
  try {
    return await findClient(ctx, clientId);
  } catch (error) {
    if (error instanceof ClientDocumentError) return undefined;
    throw error;
  }
}

/** The 400 page of a refused logout request, in the language its `ui_locales` asks for, when it could be read. */
function invalidLogoutPage(ctx: Pick<ServerContext, 'config' | 'request'>, message: PageMessage, uiLocales: readonly string[] = []): Response {
  return errorPage(ctx, 400, { key: 'error.logout.title' }, message, { uiLocales });
}

/** The sign-in session of this browser, if any. */
async function loadBrowserSession({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<{ session: Session | undefined }> {
  return { session: await loadSession(ctx, request) };
}

/** After the session ended: back to the application (with its `state`) when it asked, else the signed-out page. */
function afterLogout(ctx: Pick<ServerContext, 'config' | 'request'>, logout: LogoutRequest, setCookies: string[]): Response {
  if (logout.postLogoutRedirectUri === undefined) {
    return htmlResponse(ctx, (nonce) => renderSignedOutPage({ ...pageBase(ctx), ...pageLanguage(ctx, logout.uiLocales), nonce }), { setCookies });
  }
  const url = new URL(logout.postLogoutRedirectUri);
  if (logout.state !== undefined) url.searchParams.set('state', logout.state);
  return redirect(url.href, { cookies: setCookies });
}

/** The page asking whether to sign out, carrying the request's validated parameters to {@link endSessionConfirm}. */
function logoutConfirmPage(ctx: Pick<ServerContext, 'config' | 'request' | 'secrets'>, request: Request, logout: LogoutRequest): Response {
  const browser = identifyBrowser(ctx, request);
  const hiddenFields: Record<string, string> = {};
  if (logout.client) hiddenFields.client_id = logout.client.clientId;
  if (logout.postLogoutRedirectUri !== undefined) hiddenFields.post_logout_redirect_uri = logout.postLogoutRedirectUri;
  if (logout.state !== undefined) hiddenFields.state = logout.state;
  if (logout.uiLocales.length > 0) hiddenFields.ui_locales = logout.uiLocales.join(' ');
  return htmlResponse(
    ctx,
    (nonce) =>
      renderLogoutConfirmPage({
        ...pageBase(ctx),
        ...pageLanguage(ctx, logout.uiLocales),
        nonce,
        action: pathTo(ctx, 'endSessionConfirm'),
        csrfToken: csrfToken(ctx, browser.id, CSRF_SUBJECT),
        ...(logout.client ? { clientName: logout.client.clientName } : {}),
        hiddenFields,
      }),
    { setCookies: browser.setCookie ? [browser.setCookie] : [], formActions: logout.postLogoutRedirectUri ? [logout.postLogoutRedirectUri] : [] },
  );
}

/**
 * The decision: without a session there is nothing to protect, so it ends at once; only an ID
 * token of this very session (same `sub` and `sid`) ends it without asking (RP-Initiated Logout §2:
 * the hint tells whether the RP is logging out the session the user is in); one from an earlier
 * session, or of another user, could come from anywhere, so the user is asked.
 */
async function endOrAskToConfirm({
  ctx,
  request,
  logout,
  session,
}: EndpointInput & { logout: LogoutRequest; session: Session | undefined }): Promise<Response> {
  if (!session) return afterLogout(ctx, logout, [await endSession(ctx, request)]);
  if (logout.hintedSub === session.state.sub && logout.hintedSid !== undefined && logout.hintedSid === session.state.sid) {
    await ctx.audit.record(auditEvent('logout', { sub: session.state.sub, client_id: logout.client?.clientId }));
    return afterLogout(ctx, logout, [await endSession(ctx, request)]);
  }
  return logoutConfirmPage(ctx, request, logout);
}

/** Unreadable parameters (an OAuthError of the form) and refused ones (LogoutError) get the 400 page. */
function invalidLogoutRequest(error: unknown, { ctx }: EndpointInput): Response | undefined {
  if (error instanceof LogoutError) return invalidLogoutPage(ctx, error.reason, error.uiLocales);
  if (error instanceof OAuthError) return invalidLogoutPage(ctx, { key: 'error.logout.message', values: { detail: englishDetail(error.message) } });
  return undefined;
}

/**
 * The end-session endpoint (GET and POST). With a valid `id_token_hint` issued in the current
 * session (same `sub` and `sid`) the session ends at once; otherwise the user is asked to confirm
 * (a request not tied to the session could be a cross-site attempt to sign them out).
 */
export const endSessionEndpoint = endpoint(
  pipeline<EndpointInput>('end-session')
    .step(readLogoutParams)
    .step(checkLogoutRequest)
    .step(loadBrowserSession)
    .recover(invalidLogoutRequest)
    .respond(endOrAskToConfirm),
);

/** The posted confirmation form (form-encoded, UTF-8, no repeated field, at most `limits.maxBodyBytes`). */
async function readConfirmationForm({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<{ params: FormParams }> {
  return { params: await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes }) };
}

/** The form carries this browser's logout CSRF token; otherwise a 403 page. */
function checkLogoutCsrf({ ctx, request, params }: EndpointInput & { params: FormParams }): Response | undefined {
  const posted = { browserId: existingBrowserId(ctx, request), subject: CSRF_SUBJECT, token: params.get('csrf') };
  return csrfRefusal(ctx, posted, { key: 'error.logout.formNotAccepted' }, parseUiLocales(params.get('ui_locales')));
}

/** The user's answer: stay signed in (a page saying so), or sign out, recorded when there was a session. */
async function answerConfirmation({ ctx, request, params, logout }: EndpointInput & { params: FormParams; logout: LogoutRequest }): Promise<Response> {
  if (params.get('decision') !== 'logout') {
    return errorPage(ctx, 200, { key: 'error.stillSignedIn.title' }, { key: 'error.stillSignedIn.message' }, { uiLocales: logout.uiLocales });
  }
  const session = await loadSession(ctx, request);
  if (session) await ctx.audit.record(auditEvent('logout', { sub: session.state.sub, client_id: logout.client?.clientId }));
  return afterLogout(ctx, logout, [await endSession(ctx, request)]);
}

/** Refused parameters (LogoutError) get the 400 page; an unreadable form is left to the router, as on every form. */
function refusedLogoutRequest(error: unknown, { ctx }: EndpointInput): Response | undefined {
  return error instanceof LogoutError ? invalidLogoutPage(ctx, error.reason, error.uiLocales) : undefined;
}

/** POST /logout/confirm — the user's answer to the confirmation page. */
export const endSessionConfirm = endpoint(
  pipeline<EndpointInput>('end-session.confirm')
    .step(readConfirmationForm)
    .step(checkLogoutCsrf)
    .step(checkLogoutRequest)
    .recover(refusedLogoutRequest)
    .respond(answerConfirmation),
);
