import { html, type SafeHtml } from './escape.js';
import type { MessageKey, Translator } from './i18n/messages.js';
import { newPasswordField, postForm, powForm, powScript, submitButton, textField, type FormProofOfWork } from './form.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';
import { LOCK_ICON, MAIL_ICON } from './mfa-icons.js';
import { CHECK_ICON } from './icons.js';

/** A link back to where the user came from ("Back to sign in"), when there is one. */
export interface BackLink {
  url: string;
  /** The link's words: a catalog message (`reset.back`). */
  label: MessageKey;
}

function backLink(i18n: Translator, link: BackLink | undefined): SafeHtml | false {
  return link !== undefined && html`<p class="note center"><a href="${link.url}">${i18n.t(link.label)}</a></p>`;
}

/** The heading's icon, as the "Confirm it’s you" page has one. */
function pageIcon(icon: SafeHtml): SafeHtml {
  return html`<div class="page-icon" aria-hidden="true">${icon}</div>`;
}

/** View model of {@link renderForgotPasswordPage}. */
export interface ForgotPasswordPageView extends PageBase {
  i18n: Translator;
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
  const { t } = view.i18n;
  const hasError = view.error !== undefined && view.error !== '';
  const form = powForm({
    action: view.action,
    csrfToken: view.csrfToken,
    ...(view.interactionId !== undefined ? { hiddenFields: { interaction: view.interactionId } } : {}),
    pow: view.pow,
    i18n: view.i18n,
    content: [
      textField({
        id: 'email',
        name: 'email',
        label: t('reset.forgot.email'),
        type: 'text',
        autocomplete: 'email',
        autofocus: true,
        invalid: hasError,
        describedBy: hasError ? FORGOT_ERROR_ID : undefined,
        i18n: view.i18n,
      }),
      submitButton({ label: t('reset.forgot.submit'), variant: 'primary', className: 'submit' }),
    ],
  });
  return renderDocument(
    view,
    t('reset.forgot.title'),
    html`<h1>${t('reset.forgot.title')}</h1><p class="lead">${t('reset.forgot.lead')}</p><div class="body">${alertBox(FORGOT_ERROR_ID, view.error)}${form}${backLink(view.i18n, view.back)}</div>${powScript(view.pow, view.nonce)}`,
  );
}

/** View model of {@link renderResetLinkSentPage}. */
export interface ResetLinkSentPageView extends PageBase {
  i18n: Translator;
  /** How long the link works, in minutes (said as the language says it: "30 minutes", "30 Minuten"). */
  expiresInMinutes: number;
  /** "Ask again" (the form). */
  askAgainUrl: string;
  back?: BackLink;
}

/**
 * The answer to every "forgot password" post, whether or not an account uses the address: it
 * never says which (nor repeats the address).
 */
export function renderResetLinkSentPage(view: ResetLinkSentPageView): string {
  const { t } = view.i18n;
  const askAgain = t('reset.sent.askAgain', { link: (content) => html`<a href="${view.askAgainUrl}">${content}</a>` });
  return renderDocument(
    view,
    t('reset.sent.title'),
    html`${pageIcon(MAIL_ICON)}<h1>${t('reset.sent.title')}</h1><p class="lead">${t('reset.sent.lead', { minutes: view.expiresInMinutes })}</p><div class="body"><p class="note center">${askAgain}</p>${backLink(view.i18n, view.back)}</div>`,
  );
}

/** View model of {@link renderNewPasswordPage}. */
export interface NewPasswordPageView extends PageBase {
  i18n: Translator;
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
  const { t, text } = view.i18n;
  const hasError = view.error !== undefined && view.error !== '';
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    hiddenFields: { token: view.token },
    content: html`<input type="text" name="username" value="${view.account}" autocomplete="username" hidden>${newPasswordField({
      id: 'password',
      name: 'password',
      label: text('reset.new.password'),
      minLength: view.minLength,
      autofocus: true,
      invalid: hasError,
      describedBy: hasError ? NEW_PASSWORD_ERROR_ID : undefined,
      i18n: view.i18n,
    })}${submitButton({ label: t('reset.new.submit'), variant: 'primary', className: 'submit' })}`,
  });
  return renderDocument(
    view,
    t('reset.new.title'),
    html`${pageIcon(LOCK_ICON)}<h1>${t('reset.new.title')}</h1><p class="lead">${t('reset.new.lead')}</p><div class="body">${alertBox(NEW_PASSWORD_ERROR_ID, view.error)}${form}</div>`,
  );
}

/** View model of {@link renderResetLinkInvalidPage}. */
export interface ResetLinkInvalidPageView extends PageBase {
  i18n: Translator;
  /** The "forgot password" form, to ask for a new link. */
  askAgainUrl: string;
}

/** A reset link that is unknown, used, expired or cut short: what to do instead. */
export function renderResetLinkInvalidPage(view: ResetLinkInvalidPageView): string {
  const { t } = view.i18n;
  return renderDocument(
    view,
    t('reset.invalid.title'),
    html`<h1>${t('reset.invalid.title')}</h1><p class="lead">${t('reset.invalid.lead')}</p><div class="stacked-actions"><a class="button button-primary" href="${view.askAgainUrl}">${t('reset.invalid.submit')}</a></div>`,
  );
}

/** View model of {@link renderPasswordChangedPage}. */
export interface PasswordChangedPageView extends PageBase {
  i18n: Translator;
  /** Where to sign in now: the sign-in the user came from, or the account page. */
  next: BackLink;
}

/** "Password changed": every session was signed out; sign in with the new password. */
export function renderPasswordChangedPage(view: PasswordChangedPageView): string {
  const { t } = view.i18n;
  return renderDocument(
    view,
    t('reset.changed.title'),
    html`${pageIcon(CHECK_ICON)}<h1>${t('reset.changed.title')}</h1><p class="lead">${t('reset.changed.lead')}</p><div class="stacked-actions"><a class="button button-primary" href="${view.next.url}">${t(view.next.label)}</a></div>`,
  );
}
