import { renderLogoutConfirmPage, renderSignedOutPage } from '../../ui/index.js';
import { auditEvent } from '../audit/events.js';
import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { parseForm, readForm, type FormParams } from '../http/form.js';
import { htmlResponse } from '../http/html.js';
import { errorPage, pageBase } from '../interaction/pages.js';
import { csrfToken, existingBrowserId, identifyBrowser, verifyCsrf } from '../session/browser.js';
import { endSession, loadSession } from '../session/sessions.js';
import { verifyIdTokenHint } from '../tokens/id-token.js';

const CSRF_SUBJECT = 'logout';

/** A validated logout request: where to send the browser afterwards, if anywhere. */
interface LogoutRequest {
  client: ClientRecord | undefined;
  postLogoutRedirectUri: string | undefined;
  state: string | undefined;
  hintedSub: string | undefined;
  /** `sid` of the hint: the sign-in session the ID token was issued in. */
  hintedSid: string | undefined;
}

class LogoutError extends Error {}

/**
 * Validates RP-Initiated Logout parameters (OpenID Connect RP-Initiated Logout 1.0 §2, §3):
 * `post_logout_redirect_uri` is honoured only when it exactly matches one registered for the
 * client identified by `client_id` or `id_token_hint`; otherwise nothing is redirected anywhere.
 */
async function parseLogoutRequest(ctx: ServerContext, params: FormParams): Promise<LogoutRequest> {
  const hintToken = params.get('id_token_hint');
  const hint = hintToken === undefined ? undefined : await verifyIdTokenHint(ctx, hintToken);
  if (hintToken !== undefined && !hint) throw new LogoutError('The id_token_hint is not a valid ID token of this server.');
  const clientIdParam = params.get('client_id');
  if (hint && clientIdParam !== undefined && !hint.audience.includes(clientIdParam)) {
    throw new LogoutError('client_id does not match the id_token_hint.');
  }
  const clientId = clientIdParam ?? (hint?.audience.length === 1 ? hint.audience[0] : undefined);
  const client = clientId === undefined ? undefined : await ctx.store.clients.get(clientId);
  if (clientId !== undefined && !client) throw new LogoutError('The application is not registered.');
  const postLogoutRedirectUri = params.get('post_logout_redirect_uri');
  if (postLogoutRedirectUri !== undefined && (!client || !client.postLogoutRedirectUris.includes(postLogoutRedirectUri))) {
    throw new LogoutError('post_logout_redirect_uri is not registered for this application.');
  }
  return { client, postLogoutRedirectUri, state: params.get('state'), hintedSub: hint?.sub, hintedSid: hint?.sid };
}

function afterLogout(ctx: ServerContext, logout: LogoutRequest, setCookies: string[]): Response {
  if (logout.postLogoutRedirectUri === undefined) {
    return htmlResponse(ctx, (nonce) => renderSignedOutPage({ ...pageBase(ctx), nonce }), { setCookies });
  }
  const url = new URL(logout.postLogoutRedirectUri);
  if (logout.state !== undefined) url.searchParams.set('state', logout.state);
  const headers = new Headers({ Location: url.href, 'Cache-Control': 'no-store' });
  for (const cookie of setCookies) headers.append('Set-Cookie', cookie);
  return new Response(null, { status: 303, headers });
}

async function readParams(ctx: ServerContext, request: Request): Promise<FormParams> {
  return request.method === 'POST'
    ? readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes })
    : parseForm(new URL(request.url).search.slice(1), []);
}

/**
 * The end-session endpoint (GET and POST). With a valid `id_token_hint` issued in the current
 * session (same `sub` and `sid`) the session ends at once; otherwise the user is asked to confirm (a request not tied to the session
 * could be a cross-site attempt to sign them out).
 */
export async function endSessionEndpoint(ctx: ServerContext, request: Request): Promise<Response> {
  let logout: LogoutRequest;
  try {
    logout = await parseLogoutRequest(ctx, await readParams(ctx, request));
  } catch (error) {
    if (error instanceof LogoutError || error instanceof OAuthError) return errorPage(ctx, 400, 'Invalid sign-out request', error.message);
    throw error;
  }
  const session = await loadSession(ctx, request);
  if (!session) return afterLogout(ctx, logout, [await endSession(ctx, request)]);
  // Only an ID token of this very session ends it without asking (RP-Initiated Logout §2: the hint
  // tells whether the RP is logging out the session the user is in); one from an earlier session,
  // or of another user, could come from anywhere.
  if (logout.hintedSub === session.state.sub && logout.hintedSid !== undefined && logout.hintedSid === session.state.sid) {
    await ctx.audit.record(auditEvent('logout', { sub: session.state.sub, client_id: logout.client?.clientId }));
    return afterLogout(ctx, logout, [await endSession(ctx, request)]);
  }
  const browser = identifyBrowser(ctx, request);
  const hiddenFields: Record<string, string> = {};
  if (logout.client) hiddenFields.client_id = logout.client.clientId;
  if (logout.postLogoutRedirectUri !== undefined) hiddenFields.post_logout_redirect_uri = logout.postLogoutRedirectUri;
  if (logout.state !== undefined) hiddenFields.state = logout.state;
  const base = ctx.config.issuerUrl.pathname.replace(/\/$/, '');
  return htmlResponse(
    ctx,
    (nonce) =>
      renderLogoutConfirmPage({
        ...pageBase(ctx),
        nonce,
        action: `${base}/logout/confirm`,
        csrfToken: csrfToken(ctx, browser.id, CSRF_SUBJECT),
        ...(logout.client ? { clientName: logout.client.clientName } : {}),
        hiddenFields,
      }),
    { setCookies: browser.setCookie ? [browser.setCookie] : [], formActions: logout.postLogoutRedirectUri ? [logout.postLogoutRedirectUri] : [] },
  );
}

/** POST /logout/confirm — the user's answer to the confirmation page. */
export async function endSessionConfirm(ctx: ServerContext, request: Request): Promise<Response> {
  const params = await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes });
  const browserId = existingBrowserId(ctx, request);
  if (!browserId || !verifyCsrf(ctx, browserId, CSRF_SUBJECT, params.get('csrf'))) {
    return errorPage(ctx, 403, 'Request not accepted', 'The sign-out form was not accepted. Please try again.');
  }
  let logout: LogoutRequest;
  try {
    logout = await parseLogoutRequest(ctx, params);
  } catch (error) {
    if (error instanceof LogoutError) return errorPage(ctx, 400, 'Invalid sign-out request', error.message);
    throw error;
  }
  if (params.get('decision') !== 'logout') {
    return errorPage(ctx, 200, 'You are still signed in', 'You chose to stay signed in. You can close this page.');
  }
  const session = await loadSession(ctx, request);
  if (session) await ctx.audit.record(auditEvent('logout', { sub: session.state.sub, client_id: logout.client?.clientId }));
  return afterLogout(ctx, logout, [await endSession(ctx, request)]);
}
