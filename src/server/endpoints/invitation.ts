import { renderInvitationPage, renderInvitationReadyPage } from '../../ui/index.js';
import { messageText } from '../../ui/message-text.js';
import { acceptInvitation, peekInvitation, type PeekedInvitation } from '../accounts/invitations.js';
import type { Refusal } from '../accounts/password-policy.js';
import type { ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import type { FormParams } from '../http/form.js';
import { htmlResponse } from '../http/html.js';
import { errorPage, pageBase } from '../http/pages.js';
import { pageLanguage } from '../http/page-language.js';

import { pipeline } from '../http/pipeline.js';
import { pathTo, urlTo } from '../routes.js';
import { csrfToken, existingBrowserId, identifyBrowser } from '../session/browser.js';
import { readAccountForm } from '../steps/account.js';
import { csrfRefusal } from '../steps/csrf.js';
import { spendPasswordTry, type PasswordTry } from '../steps/self-service.js';

/** What the invitation form's CSRF token is bound to, with the browser id. */
const INVITATION_CSRF_SUBJECT = 'invitation';

type Page = Pick<ServerContext, 'config' | 'secrets'>;

/** The page for a link that cannot be used (unknown, used, expired, revoked): it says what to do. */
function invalidInvitationPage(ctx: Page): Response {
  return errorPage(ctx, 410, { key: 'error.invitationLink.title' }, { key: 'error.invitationLink.message' });
}

/**
 * A link whose password tries are used up (`PASSWORD_TRIES_PER_LINK`): it will not work again, so
 * 410 like any dead link (not 429, which would say "later").
 */
function spentInvitationPage(ctx: Page): Response {
  return errorPage(ctx, 410, { key: 'error.invitationLink.title' }, { key: 'error.invitationLink.spent' });
}

/** "Set your password", bound to this browser's cookie (created here when it has none). */
function invitationForm(
  ctx: Page,
  browser: { id: string; setCookie?: string | undefined },
  view: { token: string; email: string; name?: string | undefined; error?: Refusal },
  status = 200,
): Response {
  const language = pageLanguage(ctx);
  return htmlResponse(
    ctx,
    (nonce) =>
      renderInvitationPage({
        ...pageBase(ctx),
        ...language,
        nonce,
        action: pathTo(ctx, 'invitation'),
        csrfToken: csrfToken(ctx, browser.id, INVITATION_CSRF_SUBJECT),
        token: view.token,
        email: view.email,
        passwordMinLength: ctx.config.accounts.passwordMinLength,
        ...(view.name ? { name: view.name } : {}),
        ...(view.error ? { error: messageText(language.i18n, view.error) } : {}),
      }),
    { status, setCookies: browser.setCookie ? [browser.setCookie] : [] },
  );
}

/** GET `/invitation?token=…`: the form while the link can be used, the "no longer works" page otherwise. */
async function showInvitation({ ctx, request }: EndpointInput): Promise<Response> {
  const token = new URL(request.url).searchParams.get('token') ?? '';
  const pending = await peekInvitation(ctx, token);
  if (!pending) return invalidInvitationPage(ctx);
  return invitationForm(ctx, identifyBrowser(ctx, request), { token, email: pending.email, name: pending.name });
}

/** The form came from this browser (its cookie and the token bound to it); otherwise a 403 page. */
function checkInvitationCsrf({ ctx, request, form }: Pick<EndpointInput, 'ctx' | 'request'> & { form: FormParams }): Response | { browserId: string } {
  const browserId = existingBrowserId(ctx, request);
  const posted = { browserId, subject: INVITATION_CSRF_SUBJECT, token: form.get('csrf') };
  return csrfRefusal(ctx, posted, { key: 'error.invitationLink.form' }) ?? { browserId: browserId! };
}

type InvitationPosted = EndpointInput & { form: FormParams; browserId: string };

/** The pending invitation the posted `token` names; otherwise the "no longer works" page. */
async function findPostedInvitation({ ctx, form }: InvitationPosted): Promise<Response | { invitation: PeekedInvitation }> {
  const invitation = await peekInvitation(ctx, form.get('token') ?? '');
  return invitation ? { invitation } : invalidInvitationPage(ctx);
}

/** One try of the link and a point of the address's `signInPerIp`, spent before the password is checked. */
const spendInvitationTry = (c: InvitationPosted & { invitation: PeekedInvitation }) => spendPasswordTry(c, c.invitation.link, () => spentInvitationPage(c.ctx));

/** POST: accepts the invitation; the form again with the policy's reason, or the "account ready" page. */
async function answerInvitation({ ctx, form, browserId, passwordTry }: InvitationPosted & { passwordTry: PasswordTry }): Promise<Response> {
  const token = form.get('token') ?? '';
  const name = form.get('name');
  const result = await acceptInvitation(ctx, token, { name, password: form.get('password') ?? '' });
  if (!result.ok && result.reason === 'invalid') return invalidInvitationPage(ctx);
  if (!result.ok) return invitationForm(ctx, { id: browserId }, { token, email: result.email, name, error: result.message }, 400);
  await passwordTry.succeeded();
  const email = result.user.email ?? result.user.username;
  return htmlResponse(ctx, (nonce) => renderInvitationReadyPage({ ...pageBase(ctx), ...pageLanguage(ctx), nonce, email, signInUrl: urlTo(ctx, 'account') }));
}

/** GET `/invitation`: "Set your password" for an invitation link. */
export const invitationPage = endpoint(pipeline<EndpointInput>('invitation.show').respond(showInvitation));

/** POST `/invitation`: the chosen password; creates the account (once, however many race), each try spent first. */
export const invitationAccept = endpoint(
  pipeline<EndpointInput>('invitation.accept')
    .step(readAccountForm)
    .step(checkInvitationCsrf)
    .step(findPostedInvitation)
    .step(spendInvitationTry)
    .respond(answerInvitation),
);
