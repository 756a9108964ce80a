import { renderReauthRequiredPage } from '../../ui/index.js';
import type { AuthorizationRequest } from '../authorize/request.js';
import type { ServerContext } from '../context.js';
import type { EndpointInput } from '../http/endpoint.js';
import { readForm, type FormParams } from '../http/form.js';
import { htmlResponse } from '../http/html.js';
import { pageBase, type PageText } from '../http/pages.js';
import { pageLanguage } from '../http/page-language.js';
import { redirect } from '../http/responses.js';
import { ACCOUNT_CLIENT_ID, builtInLanding } from '../interaction/account-client.js';
import { createInteraction } from '../interaction/interactions.js';
import { usableFactors } from '../mfa/factors.js';
import { browserBinding, csrfToken, existingBrowserId, identifyBrowser } from '../session/browser.js';
import { loadSession, type Session } from '../session/sessions.js';
import { pathTo, urlTo } from '../routes.js';
import { csrfRefusal, type PostedForm } from './csrf.js';

/**
 * The steps the account pages share (`/account/...`): who is signed in, the CSRF-checked form, and
 * a recent sign-in before the sign-in methods change. Each account endpoint is a chain of these
 * and its own action, e.g.
 *
 * @example
 * pipeline<EndpointInput>('account.factor.remove')
 *   .step(requireAccountSession)     // else off to sign in
 *   .step(readAccountForm)
 *   .step(checkAccountCsrf)          // else 403 page
 *   .step(requireRecentSignIn('remove')) // else the "sign in again" page
 *   .respond(removeFactor);
 */

/** What every account form's CSRF token is bound to, with the browser id. */
export const ACCOUNT_CSRF_SUBJECT = 'account';

/** The issuer's path, without a trailing slash: the account pages live under it. */

/** The account page's absolute URL, saying `notice` (a key of the fixed notices) when given. */
export const accountUrl = (ctx: Pick<ServerContext, 'config'>, notice?: string): string => `${urlTo(ctx, 'account')}${notice ? `?notice=${notice}` : ''}`;

/** The signed-in user of an account request, and the browser cookie its CSRF tokens are bound to. */
export interface AccountSession {
  session: Session;
  browserId: string;
}

/**
 * Sends the browser to sign in (again, with `reauthenticate`: `prompt=login`) for the account
 * pages; with `landing: 'interactionSignUp'`, to the same sign-in's sign-up form (`/signup`).
 */
export function signInToAccount(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  request: Request,
  reauthenticate = false,
  landing: 'interaction' | 'interactionSignUp' = 'interaction',
): Promise<Response> {
  return signInAsBuiltInClient(ctx, request, ACCOUNT_CLIENT_ID, reauthenticate, landing);
}

/**
 * Sends the browser to sign in through the normal interaction for one of the server's own pages
 * (`clientId`: the account pages, the admin console; see `interaction/account-client.ts`), again
 * with `reauthenticate` (`prompt=login`). The sign-in ends at that client's page.
 */
export async function signInAsBuiltInClient(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  request: Request,
  clientId: string,
  reauthenticate = false,
  landing: 'interaction' | 'interactionSignUp' = 'interaction',
): Promise<Response> {
  const browser = identifyBrowser(ctx, request);
  const authorization: AuthorizationRequest = {
    clientId,
    redirectUri: builtInLanding(ctx, clientId) ?? accountUrl(ctx),
    redirectUriGiven: false,
    responseMode: 'query',
    scope: [],
    codeChallenge: '',
    prompt: reauthenticate ? ['login'] : [],
    acrValues: [],
    uiLocales: [],
  };
  const interaction = await createInteraction(ctx, {
    request: authorization,
    browser: browserBinding(ctx, browser.id),
    purpose: clientId === ACCOUNT_CLIENT_ID ? 'account' : 'admin',
  });
  return redirect(urlTo(ctx, landing, { id: interaction.id }), { cookies: browser.setCookie ? [browser.setCookie] : [] });
}

/** The account page itself needs a session only (it gives a browser without the cookie one); otherwise off to sign in. */
export async function requireSession({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<Response | { session: Session }> {
  const session = await loadSession(ctx, request);
  if (!session) return signInToAccount(ctx, request);
  return { session };
}

/** Signed in, and with the browser cookie the account forms' CSRF tokens are bound to; otherwise off to sign in. */
export async function requireAccountSession({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<Response | AccountSession> {
  const session = await loadSession(ctx, request);
  const browserId = existingBrowserId(ctx, request);
  if (!session || !browserId) return signInToAccount(ctx, request);
  return { session, browserId };
}

/** The posted account form: form-encoded, UTF-8, no repeated field, at most `limits.maxBodyBytes`. */
export async function readAccountForm({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<{ form: FormParams }> {
  return { form: await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes }) };
}

/** The form carries this browser's account CSRF token; otherwise a 403 page. */
export function checkAccountCsrf({ ctx, browserId, form }: PostedForm): Response | undefined {
  return csrfRefusal(ctx, { browserId, subject: ACCOUNT_CSRF_SUBJECT, token: form.get('csrf') }, { key: 'accountError.formNotAccepted' });
}

/**
 * Whether the session may add or remove a sign-in method: signed in at most `recentAuthSeconds`
 * ago, and with the second factor when the user has one set up (ASVS V3.7.1, NIST SP 800-63B
 * §6.1.2.1: binding a new authenticator needs the authenticators already bound). A stolen session
 * cookie alone cannot enrol the thief's own factor.
 */
export async function recentlyAuthenticated(ctx: Pick<ServerContext, 'clock' | 'config' | 'store'>, session: Session): Promise<boolean> {
  const age = Math.floor(ctx.clock.now() / 1000) - session.state.authTime;
  if (age > ctx.config.mfa.recentAuthSeconds) return false;
  if (ctx.config.mfa.policy === 'off' || session.state.amr.includes('mfa')) return true;
  return (await usableFactors(ctx, session.user.id)).length === 0;
}

/**
 * What needs the recent sign-in: a sign-in method added or removed, the account's details changed,
 * the account deleted, its data downloaded (the whole personal record: a stolen session cookie
 * alone must not carry it off).
 */
export type RecentSignInNeed = 'add' | 'remove' | 'change' | 'delete' | 'export';

const REAUTH_MESSAGES: Record<RecentSignInNeed, PageText> = {
  add: { key: 'reauth.add' },
  remove: { key: 'reauth.remove' },
  change: { key: 'reauth.change' },
  delete: { key: 'reauth.delete' },
  export: { key: 'reauth.export' },
};

/**
 * The "please sign in again" page (403) shown instead of a sensitive change, its button posting to
 * `action` (the account pages' or the admin console's reauth) with the CSRF token of `csrfSubject`.
 * `message`: a catalog message (the page is in the user's language), or English text from a caller
 * not yet translated (the admin console: the page is then English). No switcher: it answers a POST.
 */
export function reauthRequiredPage(
  ctx: Pick<ServerContext, 'config' | 'secrets'> & { request?: Pick<ServerContext['request'], 'languages'> },
  browserId: string,
  message: PageText,
  action: { route: 'accountReauth' | 'adminReauth'; csrfSubject: string } = { route: 'accountReauth', csrfSubject: ACCOUNT_CSRF_SUBJECT },
): Response {
  const language = typeof message === 'string' ? undefined : pageLanguage(ctx);
  return htmlResponse(
    ctx,
    (nonce) =>
      renderReauthRequiredPage({
        ...pageBase(ctx),
        ...language,
        nonce,
        action: pathTo(ctx, action.route),
        csrfToken: csrfToken(ctx, browserId, action.csrfSubject),
        message: typeof message === 'string' ? message : language!.i18n.t(message.key, message.values),
      }),
    { status: 403 },
  );
}

/**
 * A step for the posts that `add` or `remove` a sign-in method, `change` the account's address or
 * phone, set a first password, or `delete` the account, and for the `export` of its data: a recent sign-in
 * ({@link recentlyAuthenticated}), otherwise the "please sign in again" page (403).
 */
export function requireRecentSignIn(what: RecentSignInNeed) {
  return async function requireRecentSignIn({
    ctx,
    session,
    browserId,
  }: { ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'> } & AccountSession): Promise<Response | undefined> {
    return (await recentlyAuthenticated(ctx, session)) ? undefined : reauthRequiredPage(ctx, browserId, REAUTH_MESSAGES[what]);
  };
}
