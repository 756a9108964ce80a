import { holdsAdminRole } from '../admin-api/admin-scopes.js';
import type { ServerContext } from '../context.js';
import type { EndpointInput } from '../http/endpoint.js';
import type { FormParams } from '../http/form.js';
import type { MessageKey } from '../../ui/i18n/messages.js';
import { errorPage } from '../http/pages.js';
import { pipeline, type PipelineBuilder } from '../http/pipeline.js';
import { ADMIN_CLIENT_ID } from '../interaction/account-client.js';
import { existingBrowserId } from '../session/browser.js';
import { loadSession, type Session } from '../session/sessions.js';
import { readAccountForm, reauthRequiredPage, recentlyAuthenticated, signInAsBuiltInClient } from './account.js';
import { csrfRefusal } from './csrf.js';

/**
 * The steps every admin console endpoint (`/admin/...`) starts with, in this order, before anything
 * else is read or done:
 *
 * 1. {@link requireMfaPolicy}: with `mfa.policy` `off` nobody can meet the console's second factor;
 *    a page says so and how to fix it.
 * 2. {@link requireConsoleSession}: signed in (and with the browser cookie forms are bound to),
 *    else off to sign in as the built-in `gatehouse:admin` pseudo-client, which demands a second
 *    factor (a user with none is walked through setting one up) and ends at `/admin`.
 * 3. {@link requireAdminRole}: the user holds the `admin` role, else the same 403 page on every
 *    console path, GET or POST. Before the second factor is looked at, so that people without the
 *    role are never pushed through a second sign-in for a page they cannot see.
 * 4. {@link requireSecondFactorSession}: the session's sign-in used a second factor (`amr` has
 *    `mfa`), else off to sign in again with one.
 *
 * Forms add {@link readConsoleForm} and {@link checkConsoleCsrf}; dangerous actions
 * {@link requireRecentAdminSignIn} (the account pages' rule, `mfa.recentAuthSeconds`).
 *
 * @example
 * consoleForm('admin.keys.rotate').step(requireRecentAdminSignIn({ key: 'adminConsole.reauth.rotateKeys' })).respond(rotate);
 */

/** What every console form's CSRF token is bound to, with the browser id (not the account pages' subject). */
export const ADMIN_CSRF_SUBJECT = 'admin';

/** The signed-in admin of a console request, and the browser cookie its CSRF tokens are bound to. */
export interface ConsoleSession {
  session: Session;
  browserId: string;
}

/** What a console endpoint's own steps see. */
export type ConsoleInput = EndpointInput & ConsoleSession;
/** ... and, for a form, the CSRF-checked form. */
export type ConsoleFormInput = ConsoleInput & { form: FormParams };

/** Off to sign in to the console (again, with `reauthenticate`), with a second factor. */
export function signInToConsole(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  request: Request,
  reauthenticate = false,
): Promise<Response> {
  return signInAsBuiltInClient(ctx, request, ADMIN_CLIENT_ID, reauthenticate);
}

/** With the MFA policy `off` the console cannot be used: a 503 page saying why and what to change. */
function requireMfaPolicy({ ctx }: Pick<EndpointInput, 'ctx'>): Response | undefined {
  if (ctx.config.mfa.policy !== 'off') return undefined;
  return errorPage(ctx, 503, { key: 'adminConsole.error.mfaOff.title' }, { key: 'adminConsole.error.mfaOff.message' });
}

/** Signed in, with the browser cookie; otherwise off to sign in to the console. */
async function requireConsoleSession({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<Response | ConsoleSession> {
  const session = await loadSession(ctx, request);
  const browserId = existingBrowserId(ctx, request);
  if (!session || !browserId) return signInToConsole(ctx, request);
  return { session, browserId };
}

/**
 * The user holds the `admin` role and is not disabled ({@link holdsAdminRole}, the admin API's own
 * check; a disabled user's session does not load at all: see `loadSession`); otherwise the one 403
 * page of the console.
 */
function requireAdminRole({ ctx, session }: { ctx: Pick<ServerContext, 'config' | 'request'> } & ConsoleSession): Response | undefined {
  if (holdsAdminRole(session.user)) return undefined;
  return errorPage(ctx, 403, { key: 'adminConsole.error.forbidden.title' }, { key: 'adminConsole.error.forbidden.message' });
}

/** The session's sign-in used a second factor; otherwise off to sign in again with one. */
function requireSecondFactorSession({ ctx, request, session }: Pick<EndpointInput, 'ctx' | 'request'> & ConsoleSession): Promise<Response> | undefined {
  return session.state.amr.includes('mfa') ? undefined : signInToConsole(ctx, request, true);
}

/** The posted console form: form-encoded, UTF-8, no repeated field, at most `limits.maxBodyBytes`. */
const readConsoleForm = readAccountForm;

/** The form carries this browser's console CSRF token; otherwise a 403 page. */
function checkConsoleCsrf({
  ctx,
  browserId,
  form,
}: {
  ctx: Pick<ServerContext, 'config' | 'secrets'>;
  browserId: string;
  form: FormParams;
}): Response | undefined {
  return csrfRefusal(ctx, { browserId, subject: ADMIN_CSRF_SUBJECT, token: form.get('csrf') }, { key: 'adminConsole.error.formNotAccepted' });
}

/**
 * A step for a dangerous action (`message`: "To delete a client, please sign in again first.", a
 * catalog key): a sign-in at most `mfa.recentAuthSeconds` ago (the account pages'
 * {@link recentlyAuthenticated}; the console's sessions always have the second factor), otherwise
 * the "please sign in again" page (403).
 */
export function requireRecentAdminSignIn(message: { key: MessageKey }) {
  return async function requireRecentAdminSignIn({
    ctx,
    session,
    browserId,
  }: { ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'> } & ConsoleSession): Promise<Response | undefined> {
    if (await recentlyAuthenticated(ctx, session)) return undefined;
    return reauthRequiredPage(ctx, browserId, message, { route: 'adminReauth', csrfSubject: ADMIN_CSRF_SUBJECT });
  };
}

/** A console page's chain: the access steps above, then the endpoint's own. */
export function consolePage(name: string): PipelineBuilder<EndpointInput, ConsoleInput> {
  return pipeline<EndpointInput>(name).step(requireMfaPolicy).step(requireConsoleSession).step(requireAdminRole).step(requireSecondFactorSession);
}

/** A console form's chain: {@link consolePage}'s steps, then the form read and its CSRF token checked. */
export function consoleForm(name: string): PipelineBuilder<EndpointInput, ConsoleFormInput> {
  return consolePage(name).step(readConsoleForm).step(checkConsoleCsrf);
}
