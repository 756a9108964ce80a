import { html, type SafeHtml } from './escape.js';
import { newPasswordField, postForm, powForm, powScript, submitButton, textField, type FormProofOfWork } from './form.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';
import { LOCK_ICON, MAIL_ICON } from './mfa-icons.js';
import { CHECK_ICON } from './icons.js';

/** A link back to where the user came from ("Back to sign in"), when there is one. */
export interface BackLink {
  url: string;
  label: string;
}

function backLink(link: BackLink | undefined): SafeHtml | false {
  return link !== undefined && html`<p class="note center"><a href="${link.url}">${link.label}</a></p>`;
}

/** The heading's icon, as the "Confirm it’s you" page has one. */
function pageIcon(icon: SafeHtml): SafeHtml {
  return html`<div class="page-icon" aria-hidden="true">${icon}</div>`;
}

/** View model of {@link renderForgotPasswordPage}. */
export interface ForgotPasswordPageView extends PageBase {
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** Posted back as `interaction`, so the reset can lead back to that sign-in. */
  interactionId?: string;
  /** "Back to sign in". */
  back?: BackLink;
  /** Set when the form asks for a proof of work: its challenge URL (`data-pow`) and the script that solves it. */
  pow?: FormProofOfWork;
  /** Message after a refused post (the proof of work failed, the field was empty). */
  error?: string;
}

const FORGOT_ERROR_ID = 'forgot-error';

/**
 * "Forgot your password?": one email field, posted as `email` with `csrf`, `interaction` and
 * `pow`. With `pow`, it is a {@link powForm}, as the sign-up form is: the script fills in the
 * hidden `pow` before the form is sent, saying so in the live status line.
 */
export function renderForgotPasswordPage(view: ForgotPasswordPageView): string {
  const hasError = view.error !== undefined && view.error !== '';
  const form = powForm({
    action: view.action,
    csrfToken: view.csrfToken,
    ...(view.interactionId !== undefined ? { hiddenFields: { interaction: view.interactionId } } : {}),
    pow: view.pow,
    content: [
      textField({
        id: 'email',
        name: 'email',
        label: 'Email address',
        type: 'text',
        autocomplete: 'email',
        autofocus: !hasError,
        invalid: hasError,
        describedBy: hasError ? FORGOT_ERROR_ID : undefined,
      }),
      submitButton({ label: 'Send me a link', variant: 'primary', className: 'submit' }),
    ],
  });
  return renderDocument(
    view,
    'Reset your password',
    html`<h1>Reset your password</h1><p class="lead">Enter the email address of your account. We will send you a link to choose a new password.</p><div class="body">${alertBox(FORGOT_ERROR_ID, view.error)}${form}${backLink(view.back)}</div>${powScript(view.pow, view.nonce)}`,
  );
}

/** View model of {@link renderResetLinkSentPage}. */
export interface ResetLinkSentPageView extends PageBase {
  /** How long the link works, in words ("30 minutes"). */
  expiresIn: string;
  /** "Ask again" (the form). */
  askAgainUrl: string;
  back?: BackLink;
}

/**
 * The answer to every "forgot password" post, whether or not an account uses the address: it
 * never says which (nor repeats the address).
 */
export function renderResetLinkSentPage(view: ResetLinkSentPageView): string {
  return renderDocument(
    view,
    'Check your email',
    html`${pageIcon(MAIL_ICON)}<h1>Check your email</h1><p class="lead">If an account uses this address, we sent it a link to choose a new password. The link works once, for ${view.expiresIn}.</p><div class="body"><p class="note center">No email after a few minutes? Check your spam folder, or <a href="${view.askAgainUrl}">ask again</a>.</p>${backLink(view.back)}</div>`,
  );
}

/** View model of {@link renderNewPasswordPage}. */
export interface NewPasswordPageView extends PageBase {
  action: string;
  csrfToken: string;
  /** The link's secret, posted back as `token` (kept out of the URL from here on). */
  token: string;
  /** The shortest password accepted, for the hint and `minlength`. */
  minLength: number;
  /** The account, as the user knows it (for password managers: a hidden `username` field). */
  account: string;
  /** Why the last password was refused (the policy's sentence; never the password). */
  error?: string;
}

const NEW_PASSWORD_ERROR_ID = 'password-error';

/** "Choose a new password": one `new-password` field with the length rule as a hint; posts `password`, `token`, `csrf`. */
export function renderNewPasswordPage(view: NewPasswordPageView): string {
  const hasError = view.error !== undefined && view.error !== '';
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    hiddenFields: { token: view.token },
    content: html`<input type="text" name="username" value="${view.account}" autocomplete="username" hidden>${newPasswordField({
      id: 'password',
      name: 'password',
      label: 'New password',
      minLength: view.minLength,
      autofocus: !hasError,
      invalid: hasError,
      describedBy: hasError ? NEW_PASSWORD_ERROR_ID : undefined,
    })}${submitButton({ label: 'Change password', variant: 'primary', className: 'submit' })}`,
  });
  return renderDocument(
    view,
    'Choose a new password',
    html`${pageIcon(LOCK_ICON)}<h1>Choose a new password</h1><p class="lead">Once it is changed, every device signed in to your account is signed out.</p><div class="body">${alertBox(NEW_PASSWORD_ERROR_ID, view.error)}${form}</div>`,
  );
}

/** View model of {@link renderResetLinkInvalidPage}. */
export interface ResetLinkInvalidPageView extends PageBase {
  /** The "forgot password" form, to ask for a new link. */
  askAgainUrl: string;
}

/** A reset link that is unknown, used, expired or cut short: what to do instead. */
export function renderResetLinkInvalidPage(view: ResetLinkInvalidPageView): string {
  return renderDocument(
    view,
    'This link no longer works',
    html`<h1>This link no longer works</h1><p class="lead">Password reset links work once, for a limited time, and only the newest one. Ask for a new link to choose your password.</p><div class="stacked-actions"><a class="button button-primary" href="${view.askAgainUrl}">Send me a new link</a></div>`,
  );
}

/** View model of {@link renderPasswordChangedPage}. */
export interface PasswordChangedPageView extends PageBase {
  /** Where to sign in now: the sign-in the user came from, or the account page. */
  next: BackLink;
}

/** "Password changed": every session was signed out; sign in with the new password. */
export function renderPasswordChangedPage(view: PasswordChangedPageView): string {
  return renderDocument(
    view,
    'Password changed',
    html`${pageIcon(CHECK_ICON)}<h1>Password changed</h1><p class="lead">Your password was changed, and every device that was signed in to your account was signed out. Sign in with your new password.</p><div class="stacked-actions"><a class="button button-primary" href="${view.next.url}">${view.next.label}</a></div>`,
  );
}
