import { codeEntryForm } from './code-field.js';
import { html } from './escape.js';
import type { Translator } from './i18n/messages.js';
import { postForm, submitButton } from './form.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox, noticeBox } from './message-box.js';

/** View model of {@link renderVerifyEmailPage}. */
export interface VerifyEmailPageView extends PageBase {
  i18n: Translator;
  /** Where the code is posted (`code`, `csrf`). */
  action: string;
  /** Where "Send a new code" posts (`csrf`). */
  resendAction: string;
  csrfToken: string;
  /** Where the code went, already masked (`maskEmail`). */
  masked: string;
  /** After a wrong or expired code. */
  error?: string;
  /** After "Send a new code". */
  notice?: string;
  /** "Use another address": back to the sign-up form (sign-up only). */
  changeUrl?: string;
  /** The sign-in page of the same request. */
  signInUrl?: string;
}

const ERROR_ID = 'verify-error';

/**
 * "Check your email": the 6-digit code from the email (or its link, on any device), and a button
 * to send a new one. Posts `code` and `csrf` to `action`.
 */
export function renderVerifyEmailPage(view: VerifyEmailPageView): string {
  const { t, text } = view.i18n;
  const form = codeEntryForm({
    action: view.action,
    csrfToken: view.csrfToken,
    label: text('verifyEmail.code'),
    submitLabel: text('verifyEmail.submit'),
    submitClassName: 'submit',
    errorId: ERROR_ID,
    error: view.error,
    i18n: view.i18n,
  });
  const resend = postForm({
    action: view.resendAction,
    csrfToken: view.csrfToken,
    content: submitButton({ label: t('verifyEmail.resend'), variant: 'secondary', className: 'resend' }),
  });
  const links = [
    view.changeUrl !== undefined && html`<a href="${view.changeUrl}">${t('verifyEmail.change')}</a>`,
    view.signInUrl !== undefined && html`<a href="${view.signInUrl}">${t('verifyEmail.signIn')}</a>`,
  ].filter(Boolean);
  const ways = links.length > 0 && html`<p class="note center">${links.map((link, index) => html`${index > 0 && ' · '}${link}`)}</p>`;
  return renderDocument(
    view,
    t('verifyEmail.title'),
    html`<h1>${t('verifyEmail.title')}</h1><p class="lead">${t('verifyEmail.lead', { email: view.masked })}</p><div class="body">${alertBox(ERROR_ID, view.error)}${noticeBox('verify-notice', view.notice)}${form}${resend}${ways}</div>`,
  );
}

/** View model of {@link renderConfirmEmailPage}. */
export interface ConfirmEmailPageView extends PageBase {
  i18n: Translator;
  action: string;
  csrfToken: string;
  /** The link's secret, posted back as `token`. */
  token: string;
  /** The address the link confirms, already masked. */
  masked: string;
}

/**
 * The page an emailed link opens: one button that confirms. Opening the link changes nothing
 * (mail scanners open links too); pressing the button does.
 */
export function renderConfirmEmailPage(view: ConfirmEmailPageView): string {
  const { t } = view.i18n;
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    hiddenFields: { token: view.token },
    content: submitButton({ label: t('confirmEmail.submit'), variant: 'primary', className: 'submit' }),
  });
  return renderDocument(
    view,
    t('confirmEmail.title'),
    html`<h1>${t('confirmEmail.title')}</h1><p class="lead">${t('confirmEmail.lead', { email: view.masked })}</p><div class="body">${form}</div>`,
  );
}

/** View model of {@link renderEmailConfirmedPage}. */
export interface EmailConfirmedPageView extends PageBase {
  i18n: Translator;
  /** `created`: a sign-up's account now exists; `verified`: an existing account's address. */
  outcome: 'created' | 'verified';
  /** Where to sign in. */
  signInUrl: string;
}

/** "Email confirmed", after a link: the account exists (or its address is verified); sign in from here or the first tab. */
export function renderEmailConfirmedPage(view: EmailConfirmedPageView): string {
  const { t } = view.i18n;
  const lead = view.outcome === 'created' ? t('emailConfirmed.created') : t('emailConfirmed.verified');
  return renderDocument(
    view,
    t('emailConfirmed.title'),
    html`<h1>${t('emailConfirmed.title')}</h1><p class="lead">${lead}</p><div class="body"><a class="button button-primary" href="${view.signInUrl}">${t('emailConfirmed.signIn')}</a></div>`,
  );
}
