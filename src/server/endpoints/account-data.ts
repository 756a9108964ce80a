import { formatDate, renderAccountDeletedPage, renderDeleteAccountPage } from '../../ui/index.js';
import { accountExport } from '../accounts/account-export.js';
import { deleteOwnAccount } from '../accounts/account-deletion.js';
import { checkCurrentPassword } from '../accounts/current-password.js';
import { messageLanguage } from '../http/page-language.js';
import { afterAnswer, sendAccountEmail } from '../accounts/emails.js';
import { auditEvent } from '../audit/events.js';
import type { ServerContext } from '../context.js';
import { endpoint, type Endpoint, type EndpointInput } from '../http/endpoint.js';
import { htmlResponse } from '../http/html.js';
import { pageBase } from '../http/pages.js';
import { pageLanguage } from '../http/page-language.js';
import type { MessageText } from '../../ui/message-text.js';
import { pipeline } from '../http/pipeline.js';
import { pathTo } from '../routes.js';
import { csrfToken, identifyBrowser } from '../session/browser.js';
import { endSession, type Session } from '../session/sessions.js';
import { ACCOUNT_CSRF_SUBJECT, checkAccountCsrf, readAccountForm, requireAccountSession, requireRecentSignIn, requireSession } from '../steps/account.js';
import type { AccountFormInput } from './account.js';

/**
 * What the account holds, as a download (GET /account/export), and deleting the account (GET shows
 * the confirmation, POST deletes).
 */

// ---------------------------------------------------------------------------------------------
// Download your data

/** The account's data as a JSON attachment, never cached; recorded. */
async function exportAccount({ ctx, session }: EndpointInput & { session: Session }): Promise<Response> {
  const data = await accountExport(ctx, session.user);
  await ctx.audit.record(auditEvent('account.exported', { sub: session.user.id }));
  return new Response(`${JSON.stringify(data, null, 2)}\n`, {
    status: 200,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': 'attachment; filename="account.json"',
      'Cache-Control': 'no-store',
    },
  });
}

/**
 * GET /account/export — "Download your data": profile, sign-in methods, sessions, applications,
 * linked accounts, sign-ins; no secrets. Needs a recent sign-in (with the second step when set
 * up), as the other sensitive account actions do; otherwise the "sign in again" page (403).
 */
export const accountExportData = endpoint(
  pipeline<EndpointInput>('account.export').step(requireAccountSession).step(requireRecentSignIn('export')).respond(exportAccount),
);

// ---------------------------------------------------------------------------------------------
// Delete account

/** The confirmation page, with an error after a refused post. */
function deletePage(
  ctx: Pick<ServerContext, 'config' | 'secrets' | 'request'>,
  session: Session,
  browser: { id: string; setCookie?: string | undefined },
  error?: MessageText,
  status?: number,
): Response {
  return htmlResponse(
    ctx,
    (nonce) =>
      renderDeleteAccountPage({
        ...pageBase(ctx),
        // The switcher comes back to the page by GET; after a refused post there is none.
        ...pageLanguage(ctx, [], error === undefined ? pathTo(ctx, 'accountDelete') : undefined),
        nonce,
        action: pathTo(ctx, 'accountDelete'),
        csrfToken: csrfToken(ctx, browser.id, ACCOUNT_CSRF_SUBJECT),
        email: session.user.email,
        askPassword: session.user.passwordHash !== null,
        graceDays: ctx.config.accounts.deletionGraceDays,
        accountUrl: pathTo(ctx, 'account'),
        ...(error ? { error } : {}),
      }),
    { status: status ?? (error ? 400 : 200), setCookies: browser.setCookie ? [browser.setCookie] : [] },
  );
}

/** GET /account/delete — what deleting means, and the confirmation form. */
const accountDeletePage = endpoint(
  pipeline<EndpointInput>('account.delete-page')
    .step(requireSession)
    .respond(({ ctx, request, session }) => deletePage(ctx, session, identifyBrowser(ctx, request))),
);

/** `DELETE` (any case) or the account's address was typed; otherwise the page again, saying so. */
function checkDeleteConfirmation({ ctx, session, browserId, form }: AccountFormInput): Response | undefined {
  const typed = (form.get('confirm') ?? '').trim();
  if (typed.toUpperCase() === 'DELETE' || (session.user.email !== null && typed.toLowerCase() === session.user.email)) return undefined;
  return deletePage(ctx, session, { id: browserId }, { key: 'accountError.deleteConfirm' });
}

/** The current password, when the account has one, spent from the sign-in budgets before it is verified. */
async function checkDeletePassword({ ctx, session, browserId, form }: AccountFormInput): Promise<Response | undefined> {
  if (session.user.passwordHash === null) return undefined;
  const checked = await checkCurrentPassword(ctx, session.user, form.get('current_password') ?? '', browserId);
  if (checked.ok) return undefined;
  if (checked.reason === 'limited')
    return deletePage(ctx, session, { id: browserId }, { key: 'accountError.tooManyPasswords', values: { time: new Date(checked.retryAt) } }, 429);
  await ctx.audit.record(auditEvent('user.delete_failed', { sub: session.user.id, reason: 'wrong_password' }));
  return deletePage(ctx, session, { id: browserId }, { key: 'accountError.wrongPassword' });
}

/**
 * Deletes the account (at once, or disabled until the grace period ends), ends this browser's
 * session, records it and says so by email; then the "Your account is deleted" page.
 */
async function deleteAccount({ ctx, request, session }: AccountFormInput): Promise<Response> {
  const { user } = session;
  const grace = ctx.config.accounts.deletionGraceDays;
  const deletion = await deleteOwnAccount(ctx.store, ctx.clock, (await ctx.store.users.get(user.id)) ?? user, grace);
  const clear = await endSession(ctx, request);
  await ctx.audit.record(auditEvent('user.deleted', { sub: user.id, by: 'self', grace_days: grace }));
  if (user.email) {
    const to = user.email;
    const i18n = messageLanguage(ctx, { account: user.profile, atThisRequest: true });
    const detail = deletion.removed
      ? i18n.text('email.accountDeleted.removed')
      : i18n.text('email.accountDeleted.disabled', { date: i18n.date(deletion.dueAt) });
    afterAnswer(ctx, 'the account-deleted notice', () => sendAccountEmail(ctx, { to, template: 'account_deleted', i18n, vars: { detail } }));
  }
  // No switcher: the page answers a post (and the account is gone).
  const language = pageLanguage(ctx);
  const shownRemovedOn = deletion.removed ? undefined : formatDate(deletion.dueAt, language.i18n);
  return htmlResponse(
    ctx,
    (nonce) => renderAccountDeletedPage({ ...pageBase(ctx), ...language, nonce, ...(shownRemovedOn ? { removedOn: shownRemovedOn } : {}) }),
    {
      setCookies: [clear],
    },
  );
}

/** POST /account/delete — `confirm` (DELETE or the address) and `current_password` (when the account has one), after a recent sign-in. */
const accountDeletePost = endpoint(
  pipeline<EndpointInput>('account.delete')
    .step(requireAccountSession)
    .step(readAccountForm)
    .step(checkAccountCsrf)
    .step(requireRecentSignIn('delete'))
    .step(checkDeleteConfirmation)
    .step(checkDeletePassword)
    .respond(deleteAccount),
);

/** `/account/delete`: the confirmation page (GET), the deletion (POST). */
export const accountDelete: Endpoint = (ctx, request, id, params) =>
  request.method === 'GET' || request.method === 'HEAD' ? accountDeletePage(ctx, request, id, params) : accountDeletePost(ctx, request, id, params);
