import type { UserRecord } from '../../stores/contract.js';
import {
  renderForgotPasswordPage,
  renderMfaChallengePage,
  renderNewPasswordPage,
  renderPasswordChangedPage,
  renderResetLinkInvalidPage,
  renderResetLinkSentPage,
  type BackLink,
} from '../../ui/index.js';
import { messageText } from '../../ui/message-text.js';
import { peekAccountLink } from '../accounts/account-tokens.js';
import { afterAnswer, sendAccountEmail } from '../accounts/emails.js';
import { checkNewPassword, type Refusal } from '../accounts/password-policy.js';
import { recordResetMfaPassed, resetMfaPassed, resetPassword, sendPasswordResetLink, type ResetLinkValue } from '../accounts/password-reset.js';
import { auditEvent } from '../audit/events.js';
import type { ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import type { FormParams } from '../http/form.js';
import { htmlResponse } from '../http/html.js';
import { pageBase } from '../http/pages.js';
import { messageLanguage, pageLanguage } from '../http/page-language.js';

import { pipeline } from '../http/pipeline.js';
import { loadInteractionOfBrowser } from '../interaction/interactions.js';
import { challengeView, forgotPasswordPath, interactionPath, type MfaChallengeExtras } from '../interaction/pages.js';
import { remainingRecoveryCodes, usableFactors } from '../mfa/factors.js';
import { answerSecondFactor } from '../mfa/second-factor-answer.js';
import { POW_REFUSED, proofOfWorkForPage, verifyPow } from '../protection/proof-of-work.js';
import { pathTo } from '../routes.js';
import { csrfToken } from '../session/browser.js';
import { readAccountForm } from '../steps/account.js';
import {
  checkFormCsrf,
  requireAccountEmails,
  requireBrowserCookie,
  spendAccountEmailPerIp,
  spendPasswordTry,
  withBrowser,
  type PasswordTry,
  type WithBrowser,
} from '../steps/self-service.js';

/** What the CSRF tokens of the "forgot password" form and of the reset forms are bound to, with the browser. */
const FORGOT_CSRF = 'forgot-password';
const RESET_CSRF = 'password-reset';

/** An interaction id as issued (32 base64url characters); anything else is dropped, never echoed. */
const interactionIdOf = (value: string | null | undefined): string | undefined => (value && /^[A-Za-z0-9_-]{32}$/.test(value) ? value : undefined);

/** "Back to sign in": the sign-in the user came from, or the account page (which signs in). */
function backToSignIn(ctx: Pick<ServerContext, 'config'>, interaction: string | undefined): BackLink {
  return { url: interaction ? interactionPath(ctx, interaction) : pathTo(ctx, 'account'), label: 'reset.back' };
}

/** The "forgot password" form (again, with `error`, after a refused post). */
function forgotPage(c: { ctx: ServerContext } & WithBrowser, interaction: string | undefined, error?: Refusal): Response {
  const { ctx } = c;
  const pow = proofOfWorkForPage(ctx);
  const language = pageLanguage(ctx, [], forgotPasswordPath(ctx, interaction));
  return htmlResponse(
    ctx,
    (nonce) =>
      renderForgotPasswordPage({
        ...pageBase(ctx),
        ...language,
        nonce,
        action: pathTo(ctx, 'forgotPassword'),
        csrfToken: csrfToken(ctx, c.browserId, FORGOT_CSRF),
        ...(interaction ? { interactionId: interaction } : {}),
        back: backToSignIn(ctx, interaction),
        ...(pow ? { pow } : {}),
        ...(error ? { error: messageText(language.i18n, error) } : {}),
      }),
    { status: error ? 400 : 200, setCookies: c.setCookies, scripts: pow !== undefined },
  );
}

/** GET /forgot-password[?interaction=…] — the form: one email field, proof of work, CSRF bound to this browser. */
export const forgotPasswordPage = endpoint(
  pipeline<EndpointInput>('forgot-password')
    .step(requireAccountEmails)
    .step(withBrowser)
    .respond((c) => forgotPage(c, interactionIdOf(new URL(c.request.url).searchParams.get('interaction')))),
);

type ForgotPosted = EndpointInput & WithBrowser & { form: FormParams };

/** The form's proof of work (a step, so the check can be read in the chain); refused: the form again. */
async function checkProofOfWork(c: ForgotPosted): Promise<Response | undefined> {
  if (await verifyPow(c.ctx, c.form.get('pow'))) return undefined;
  return forgotPage(c, interactionIdOf(c.form.get('interaction')), POW_REFUSED);
}

/**
 * The same page, status and timing whether or not an account uses the address, and whether it is
 * enabled: the lookup, the link and the email happen after the answer. The request is audited
 * without the address or the account.
 */
function answerForgotPassword(c: ForgotPosted): Response {
  const { ctx, form } = c;
  const interaction = interactionIdOf(form.get('interaction'));
  const login = form.get('email')?.trim() ?? '';
  if (login === '' || login.length > 320) return forgotPage(c, interaction, { key: 'reset.forgot.error.email' });
  const i18n = messageLanguage(ctx);
  afterAnswer(ctx, 'password reset email', () => sendPasswordResetLink(ctx, login, interaction, i18n));
  ctx.audit.recordLater(auditEvent('password.reset_requested'));
  return htmlResponse(ctx, (nonce) =>
    renderResetLinkSentPage({
      ...pageBase(ctx),
      ...pageLanguage(ctx),
      nonce,
      expiresInMinutes: Math.round(ctx.config.accounts.passwordResetTtl / 60),
      askAgainUrl: forgotPasswordPath(ctx, interaction),
      back: backToSignIn(ctx, interaction),
    }),
  );
}

/** POST /forgot-password — `email`, `csrf`, `pow`, `interaction`: spends the address's email budget first. */
export const forgotPasswordPost = endpoint(
  pipeline<EndpointInput>('forgot-password.post')
    .step(requireAccountEmails)
    .step(requireBrowserCookie)
    .step(readAccountForm)
    .step(checkFormCsrf(FORGOT_CSRF))
    .step(spendAccountEmailPerIp)
    .step(checkProofOfWork)
    .respond(answerForgotPassword),
);

/**
 * A reset link that no longer works: ask for a new one. 400 for a link unknown, used or expired;
 * 410 for a link whose password tries are used up (it will not work again, so not 429, which
 * would say "later").
 */
function invalidLinkPage(ctx: Pick<ServerContext, 'config'>, status = 400): Response {
  return htmlResponse(ctx, (nonce) => renderResetLinkInvalidPage({ ...pageBase(ctx), ...pageLanguage(ctx), nonce, askAgainUrl: forgotPasswordPath(ctx) }), {
    status,
  });
}

type ResetLink = { token: string; value: ResetLinkValue; user: UserRecord; link: { id: string; expiresAt: number } };

/**
 * The usable link `token` names and its (enabled) account, still at the address the link went to
 * (a link in a mailbox the account has left opens nothing); otherwise the "link no longer works" page.
 */
async function findResetLink(ctx: ServerContext, token: string): Promise<ResetLink | Response> {
  const link = await peekAccountLink<ResetLinkValue>(ctx, 'password_reset', token);
  const value = link?.value;
  const user = value ? await ctx.store.users.get(value.userId) : undefined;
  if (!link || !value || !user || user.disabled || user.email !== value.email) return invalidLinkPage(ctx);
  return { token, value, user, link: { id: link.id, expiresAt: link.expiresAt } };
}

type ResetView = { ctx: ServerContext } & WithBrowser & ResetLink;

/** The second-factor step of a reset: the user's methods (no passkey), every form carrying the link. */
async function resetMfaPage(c: ResetView, extras: MfaChallengeExtras = {}): Promise<Response> {
  const { ctx, user } = c;
  const factors = await usableFactors(ctx, user.id);
  const view = challengeView(ctx, factors, (await remainingRecoveryCodes(ctx, user.id)) > 0, extras);
  return htmlResponse(
    ctx,
    (nonce) =>
      renderMfaChallengePage({
        ...pageBase(ctx),
        // No switcher: the page's address carries the reset link's token.
        ...pageLanguage(ctx),
        nonce,
        action: pathTo(ctx, 'resetPasswordMfa'),
        csrfToken: csrfToken(ctx, c.browserId, RESET_CSRF),
        lead: { key: 'reset.mfa.lead' },
        hiddenFields: { token: c.token },
        ...view,
        // Passkeys are not offered here (they would need the WebAuthn script and JSON calls of their own).
        methods: { ...view.methods, passkey: false },
      }),
    { status: extras.error ? 401 : 200, setCookies: c.setCookies },
  );
}

/** The new-password form (again, with the policy's reason). */
function newPasswordPage(c: ResetView, error?: Refusal): Response {
  const { ctx, user } = c;
  const language = pageLanguage(ctx);
  return htmlResponse(
    ctx,
    (nonce) =>
      renderNewPasswordPage({
        ...pageBase(ctx),
        ...language,
        nonce,
        action: pathTo(ctx, 'resetPassword'),
        csrfToken: csrfToken(ctx, c.browserId, RESET_CSRF),
        token: c.token,
        minLength: ctx.config.accounts.passwordMinLength,
        account: user.email ?? user.username,
        ...(error ? { error: messageText(language.i18n, error) } : {}),
      }),
    { status: error ? 400 : 200, setCookies: c.setCookies },
  );
}

/** Whether the new password may be set in this browser: the user has no second factor, or answered it here for this link. */
async function secondFactorDone(c: ResetView): Promise<boolean> {
  return (await usableFactors(c.ctx, c.user.id)).length === 0 || resetMfaPassed(c.ctx, c.token, c.browserId);
}

/** GET /reset-password?token=… — the link: the second factor first (when the user has one), then the new password. */
export const resetPasswordPage = endpoint(
  pipeline<EndpointInput>('reset-password')
    .step(withBrowser)
    .step(({ ctx, request }) => findResetLink(ctx, new URL(request.url).searchParams.get('token') ?? ''))
    .respond(async (c) => ((await secondFactorDone(c)) ? newPasswordPage(c) : resetMfaPage(c))),
);

type ResetPosted = EndpointInput & WithBrowser & { form: FormParams };

/** The link the form carries (`token`). */
const findPostedLink = ({ ctx, form }: ResetPosted) => findResetLink(ctx, form.get('token') ?? '');

/**
 * Whether the post asks for (or answers) a code of an email factor at the account's address: the
 * reset link went to that mailbox, so a code to it proves nothing more (one mailbox is one factor).
 */
async function codeToResetMailbox({ ctx, user, form }: ResetPosted & ResetLink): Promise<boolean> {
  const method = form.get('method');
  if (method !== 'send' && method !== 'contact') return false;
  const factor = await ctx.store.factors.get(form.get('factor') ?? '');
  return factor?.userId === user.id && factor.type === 'email' && factor.data.to === user.email;
}

/** POST /reset-password/mfa — an answer of the second-factor forms, bound to the link and this browser; right: the new-password form. */
export const resetPasswordMfa = endpoint(
  pipeline<EndpointInput>('reset-password.mfa')
    .step(requireBrowserCookie)
    .step(readAccountForm)
    .step(checkFormCsrf(RESET_CSRF))
    .step(findPostedLink)
    .respond(async (c) => {
      if (await codeToResetMailbox(c)) return resetMfaPage(c, { error: { key: 'reset.mfa.sameMailbox' } });
      const outcome = await answerSecondFactor(c.ctx, c.user, c.form, { purpose: 'password_reset' });
      if ('again' in outcome) return resetMfaPage(c, outcome.again);
      await recordResetMfaPassed(c.ctx, c.token, c.browserId);
      await c.ctx.audit.record(auditEvent('mfa.succeeded', { sub: c.user.id, method: c.form.get('method') ?? '', purpose: 'password_reset' }));
      return newPasswordPage(c);
    }),
);

/** Where to sign in after the reset: the sign-in the user came from while it lives in this browser, else the account page. */
async function nextAfterReset(c: ResetPosted, value: ResetLinkValue): Promise<BackLink> {
  const id = typeof value.interaction === 'string' ? value.interaction : undefined;
  const alive = id ? await loadInteractionOfBrowser(c.ctx, c.request, id) : undefined;
  return alive ? { url: interactionPath(c.ctx, alive.interaction.id), label: 'reset.continue' } : { url: pathTo(c.ctx, 'account'), label: 'reset.signIn' };
}

/** The second factor was answered in this browser for this link (when the user has one); otherwise its page. */
async function requireResetSecondFactor(c: ResetPosted & ResetLink): Promise<Response | undefined> {
  return (await secondFactorDone(c)) ? undefined : resetMfaPage(c);
}

/**
 * One try of the link and a point of the address's `signInPerIp`, spent before the password is
 * checked ({@link spendPasswordTry}); the link's tries used up: it no longer works (410).
 */
const spendResetTry = (c: ResetPosted & ResetLink) => spendPasswordTry(c, c.link, () => invalidLinkPage(c.ctx, 410));

/**
 * The new password: the policy's reason when refused; otherwise the link is used (once, whatever
 * races it), the password set, every session and token ended, and the user told by email.
 */
async function answerNewPassword(c: ResetPosted & ResetLink & { passwordTry: PasswordTry }): Promise<Response> {
  const { ctx, user, form } = c;
  const password = form.get('password') ?? '';
  const verdict = checkNewPassword(ctx.config, password, { username: user.username, email: user.email, name: user.profile.name ?? null });
  if (!verdict.ok) return newPasswordPage(c, verdict.reason);
  const done = await resetPassword(ctx, c.token, c.browserId, password);
  if (!done) return invalidLinkPage(ctx);
  await c.passwordTry.succeeded();
  const to = done.user.email;
  const i18n = messageLanguage(ctx, { account: done.user.profile, atThisRequest: true });
  if (to) afterAnswer(ctx, 'password changed email', () => sendAccountEmail(ctx, { to, template: 'password_changed', i18n }));
  const next = await nextAfterReset(c, done.value);
  return htmlResponse(ctx, (nonce) => renderPasswordChangedPage({ ...pageBase(ctx), ...pageLanguage(ctx), nonce, next }), { setCookies: c.setCookies });
}

/** POST /reset-password — `password`, `token`, `csrf`: the link's tries and the address's budget spent before the password is checked. */
export const resetPasswordPost = endpoint(
  pipeline<EndpointInput>('reset-password.post')
    .step(requireBrowserCookie)
    .step(readAccountForm)
    .step(checkFormCsrf(RESET_CSRF))
    .step(findPostedLink)
    .step(requireResetSecondFactor)
    .step(spendResetTry)
    .respond(answerNewPassword),
);
