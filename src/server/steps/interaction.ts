/**
 * The named steps every interaction endpoint starts with: find the interaction of the path (in
 * this browser), read its CSRF-checked form, load the browser's session, decide the next step.
 */
import type { ClientRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import type { EndpointInput } from '../http/endpoint.js';
import { readForm, type FormParams } from '../http/form.js';
import { errorPage } from '../http/pages.js';
import { redirect } from '../http/responses.js';
import { readCookie } from '../../core/cookies.js';
import { interactionClient } from '../interaction/account-client.js';
import { showNextStep } from '../interaction/advance.js';
import { decide, type Decision } from '../interaction/decisions.js';
import { loadInteractionOfBrowser, type Interaction } from '../interaction/interactions.js';
import { EXPIRED_MESSAGE, EXPIRED_TITLE, wasShownTo } from '../interaction/pages.js';
import { browserCookieName, identifyBrowser } from '../session/browser.js';
import { loadSession, type Session } from '../session/sessions.js';
import { csrfRefusal } from './csrf.js';

/** What {@link findInteraction} adds. */
export interface InteractionFound {
  interaction: Interaction;
  client: ClientRecord;
  browserId: string;
  /** Cookies the answer sets (none yet). */
  setCookies: string[];
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
function missingCookie(ctx: Pick<ServerContext, 'config'>, request: Request): Response {
  const url = new URL(request.url);
  if ((request.method === 'GET' || request.method === 'HEAD') && !url.searchParams.has(COOKIE_CHECK)) {
    const browser = identifyBrowser(ctx, request);
    url.searchParams.set(COOKIE_CHECK, '1');
    return redirect(`${ctx.config.issuerUrl.origin}${url.pathname}${url.search}`, { cookies: browser.setCookie ? [browser.setCookie] : [] });
  }
  return errorPage(ctx, 400, { key: 'error.cookiesNeeded.title' }, { key: 'error.cookiesNeeded.message', values: { host: ctx.config.issuerUrl.host } });
}

/**
 * The interaction of the path, started in this browser, and its client; otherwise an error page
 * (no cookie, expired, unknown, another browser).
 */
export async function findInteraction({ ctx, request, id }: Pick<EndpointInput, 'ctx' | 'request' | 'id'>): Promise<InteractionFound | Response> {
  if (readCookie(request, browserCookieName(ctx)) === undefined) return missingCookie(ctx, request);
  const found = await loadInteractionOfBrowser(ctx, request, id);
  if (!found) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
  const { interaction, browserId } = found;
  const client = await interactionClient(ctx, interaction.state.request.clientId);
  if (!client) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE, { uiLocales: interaction.state.request.uiLocales });
  return { interaction, client, browserId, setCookies: [] };
}

/** The posted form, its CSRF token bound to this browser and interaction; otherwise a 403 page. */
export async function readInteractionForm({
  ctx,
  request,
  id,
  browserId,
  interaction,
}: Pick<EndpointInput, 'ctx' | 'request' | 'id'> & { browserId: string; interaction: Interaction }): Promise<{ form: FormParams } | Response> {
  const form = await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes });
  const posted = { browserId, subject: id, token: form.get('csrf') };
  const refused = csrfRefusal(ctx, posted, { key: 'error.formNotAccepted.message' }, interaction.state.request.uiLocales);
  return refused ?? { form };
}

/** The browser's session, if any. */
export async function loadBrowserSession({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<{ session: Session | undefined }> {
  return { session: await loadSession(ctx, request) };
}

/** Decides, once for this request, what the user still owes (see `decide`). */
export async function decideNextStep({
  ctx,
  interaction,
  client,
  session,
}: {
  ctx: Pick<ServerContext, 'clock' | 'config' | 'store'>;
  interaction: Interaction;
  client: ClientRecord;
  session: Session | undefined;
}): Promise<{ decision: Decision }> {
  return { decision: await decide(ctx, { authorization: interaction.state.request, client, session, progress: interaction.state }) };
}

/**
 * A form shown to one signed-in user (consent, account choice) is answered by that user: its
 * `shown_to` names the user signed in now. If the browser's session belongs to someone else by now
 * (a sign-in in another tab), nothing is recorded: the current step is shown again, for whoever is
 * signed in.
 */
export async function requireUserTheFormWasShownTo(
  c: InteractionFound & { ctx: ServerContext; form: FormParams; session: Session | undefined },
): Promise<{ session: Session } | Response> {
  const { ctx, session, form } = c;
  if (session && wasShownTo(ctx, session.user.id, form.get('shown_to'))) return { session };
  const { decision } = await decideNextStep(c);
  return showNextStep(c, decision);
}
