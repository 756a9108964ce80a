import { codeEntryForm } from './code-field.js';
import { html } from './escape.js';
import { postForm, submitButton } from './form.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';
import { MAIL_ICON } from './mfa-icons.js';

/** View model of {@link renderEmailConfirmPage}. */
export interface EmailConfirmPageView extends PageBase {
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /**
   * `code`: type the 6-digit code (right after asking, or from the account page). `link`: the
   * emailed link was opened; one button confirms `address`.
   */
  mode: 'code' | 'link';
  /** The new address: the one just typed (code), or the link's (link). Absent when not known here. */
  address?: string;
  /** Back to the account page. */
  accountUrl: string;
  error?: string;
}

const EMAIL_ERROR_ID = 'email-confirm-error';

/**
 * Confirms a new email address: with the 6-digit code sent to it (posts `code` and `csrf`), or,
 * from the emailed link, with one button (posts `csrf`; the link's token is in `action`). The
 * account keeps its address until then. Says "if it can be used": whether another account has the
 * address is never told.
 */
export function renderEmailConfirmPage(view: EmailConfirmPageView): string {
  const address = view.address !== undefined && view.address !== '' ? html`<strong>${view.address}</strong>` : 'your new address';
  const lead =
    view.mode === 'link'
      ? html`Use ${address} as the email address of your account?`
      : html`If ${address} can be used, we sent a 6-digit code to it. Enter it below to make it your account’s address. Until then your account keeps its current one.`;
  const form =
    view.mode === 'link'
      ? postForm({
          action: view.action,
          csrfToken: view.csrfToken,
          content: submitButton({ label: 'Confirm new address', variant: 'primary', className: 'submit' }),
        })
      : codeEntryForm({
          action: view.action,
          csrfToken: view.csrfToken,
          label: 'Code',
          submitLabel: 'Confirm new address',
          errorId: EMAIL_ERROR_ID,
          error: view.error,
        });
  return renderDocument(
    view,
    'Confirm your new email address',
    html`<div class="page-icon" aria-hidden="true">${MAIL_ICON}</div><h1>Confirm your new email address</h1><p class="lead">${lead}</p><div class="body">${alertBox(EMAIL_ERROR_ID, view.error)}${form}<p class="center back-link"><a href="${view.accountUrl}">Back to your account</a></p></div>`,
  );
}

/** View model of {@link renderDeleteAccountPage}. */
export interface DeleteAccountPageView extends PageBase {
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** The account's address, which may be typed instead of DELETE. */
  email: string | null;
  /** Ask for the current password (the account has one). */
  askPassword: boolean;
  /** Days before the account is removed for good (`0`: at once). */
  graceDays: number;
  /** Back to the account page. */
  accountUrl: string;
  error?: string;
}

const DELETE_ERROR_ID = 'delete-error';

/**
 * Confirms deleting the account: what goes, when, and the confirmation (type `DELETE` or the
 * account's address, as `confirm`; the current password as `current_password` when it has one).
 */
export function renderDeleteAccountPage(view: DeleteAccountPageView): string {
  const hasError = view.error !== undefined && view.error !== '';
  const describedBy = hasError ? html` aria-describedby="${DELETE_ERROR_ID}"` : '';
  const when =
    view.graceDays === 0
      ? 'Your account is removed at once. This cannot be undone.'
      : `Your account is disabled at once and removed after ${view.graceDays === 1 ? '1 day' : `${view.graceDays} days`}. Until then, an administrator can restore it.`;
  const confirmHint = view.email ? html`Type <strong>DELETE</strong> or your email address.` : html`Type <strong>DELETE</strong>.`;
  const password =
    view.askPassword &&
    html`<div class="field"><label for="delete-password">Current password</label><input class="input" id="delete-password" name="current_password" type="password" autocomplete="current-password" required${describedBy}></div>`;
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    content: html`<div class="field"><label for="delete-confirm">Confirm</label><p class="hint" id="delete-confirm-hint">${confirmHint}</p><input class="input" id="delete-confirm" name="confirm" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="254" required aria-describedby="delete-confirm-hint${hasError ? ` ${DELETE_ERROR_ID}` : ''}"${hasError && html` aria-invalid="true"`}></div>${password}<div class="actions"><a class="button button-secondary" href="${view.accountUrl}">Cancel</a>${submitButton({ label: 'Delete my account', variant: 'primary', className: 'button-danger' })}</div>`,
  });
  return renderDocument(
    view,
    'Delete your account',
    html`<h1>Delete your account?</h1><p class="lead">${when}</p><ul class="confirm-list"><li>You are signed out everywhere, on every device.</li><li>Every application loses access to your account.</li><li>Your sign-in methods, linked accounts and history are removed.</li></ul><div class="body">${alertBox(DELETE_ERROR_ID, view.error)}${form}</div>`,
  );
}

/** View model of {@link renderAccountDeletedPage}. */
export interface AccountDeletedPageView extends PageBase {
  /** When the account is removed for good (words, such as "12 March 2025"); absent: removed already. */
  removedOn?: string;
}

/** Shown once the account is deleted (the session is ended with it). */
export function renderAccountDeletedPage(view: AccountDeletedPageView): string {
  const lead =
    view.removedOn === undefined
      ? html`Your ${view.branding.productName} account and everything it held are removed. You are signed out everywhere.`
      : html`Your ${view.branding.productName} account is disabled and will be removed on ${view.removedOn}. You are signed out everywhere. Until then, an administrator can restore it.`;
  return renderDocument(
    view,
    'Account deleted',
    html`<h1>Your account is deleted</h1><p class="lead">${lead}</p><p class="lead">You can close this window.</p>`,
  );
}
