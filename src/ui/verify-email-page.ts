import { codeEntryForm } from './code-field.js';
import { html } from './escape.js';
import { postForm, submitButton } from './form.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox, noticeBox } from './message-box.js';

/** View model of {@link renderVerifyEmailPage}. */
export interface VerifyEmailPageView extends PageBase {
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
  const form = codeEntryForm({
    action: view.action,
    csrfToken: view.csrfToken,
    label: 'Code from the email',
    submitLabel: 'Confirm email address',
    submitClassName: 'submit',
    errorId: ERROR_ID,
    error: view.error,
  });
  const resend = postForm({
    action: view.resendAction,
    csrfToken: view.csrfToken,
    content: submitButton({ label: 'Send a new code', variant: 'secondary', className: 'resend' }),
  });
  const links = [
    view.changeUrl !== undefined && html`<a href="${view.changeUrl}">Use another address</a>`,
    view.signInUrl !== undefined && html`<a href="${view.signInUrl}">Sign in instead</a>`,
  ].filter(Boolean);
  const ways = links.length > 0 && html`<p class="note center">${links.map((link, index) => html`${index > 0 && ' · '}${link}`)}</p>`;
  return renderDocument(
    view,
    'Check your email',
    html`<h1>Check your email</h1><p class="lead">We sent a 6-digit code to <strong>${view.masked}</strong>. Enter it below, or open the link in the email.</p><div class="body">${alertBox(ERROR_ID, view.error)}${noticeBox('verify-notice', view.notice)}${form}${resend}${ways}</div>`,
  );
}

/** View model of {@link renderConfirmEmailPage}. */
export interface ConfirmEmailPageView extends PageBase {
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
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    hiddenFields: { token: view.token },
    content: submitButton({ label: 'Confirm my email address', variant: 'primary', className: 'submit' }),
  });
  return renderDocument(
    view,
    'Confirm your email address',
    html`<h1>Confirm your email address</h1><p class="lead">Confirm that <strong>${view.masked}</strong> is your address.</p><div class="body">${form}</div>`,
  );
}

/** View model of {@link renderEmailConfirmedPage}. */
export interface EmailConfirmedPageView extends PageBase {
  /** `created`: a sign-up's account now exists; `verified`: an existing account's address. */
  outcome: 'created' | 'verified';
  /** Where to sign in. */
  signInUrl: string;
}

/** "Email confirmed", after a link: the account exists (or its address is verified); sign in from here or the first tab. */
export function renderEmailConfirmedPage(view: EmailConfirmedPageView): string {
  const lead =
    view.outcome === 'created'
      ? 'Your account is ready. Sign in with your email address and password, here or in the window where you signed up.'
      : 'Your email address is verified. You can go back to the window where you were signing in, or sign in here.';
  return renderDocument(
    view,
    'Email confirmed',
    html`<h1>Email confirmed</h1><p class="lead">${lead}</p><div class="body"><a class="button button-primary" href="${view.signInUrl}">Sign in</a></div>`,
  );
}
