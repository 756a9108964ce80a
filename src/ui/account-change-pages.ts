import { codeEntryForm } from './code-field.js';
import { html } from './escape.js';
import { postForm, submitButton } from './form.js';
import { messagesOf, renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';
import { messageText, type MessageText } from './message-text.js';
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
  error?: MessageText;
}

const EMAIL_ERROR_ID = 'email-confirm-error';

/**
 * Confirms a new email address: with the 6-digit code sent to it (posts `code` and `csrf`), or,
 * from the emailed link, with one button (posts `csrf`; the link's token is in `action`). The
 * account keeps its address until then. Says "if it can be used": whether another account has the
 * address is never told.
 */
export function renderEmailConfirmPage(view: EmailConfirmPageView): string {
  const i18n = messagesOf(view);
  const { t } = i18n;
  const error = messageText(i18n, view.error);
  const address = view.address !== undefined && view.address !== '' ? view.address : undefined;
  const lead =
    view.mode === 'link'
      ? address !== undefined
        ? t('emailChange.linkLead', { address })
        : t('emailChange.linkLeadUnknown')
      : address !== undefined
        ? t('emailChange.codeLead', { address })
        : t('emailChange.codeLeadUnknown');
  const form =
    view.mode === 'link'
      ? postForm({
          action: view.action,
          csrfToken: view.csrfToken,
          content: submitButton({ label: t('emailChange.submit'), variant: 'primary', className: 'submit' }),
        })
      : codeEntryForm({
          action: view.action,
          csrfToken: view.csrfToken,
          label: t('emailChange.code'),
          submitLabel: t('emailChange.submit'),
          errorId: EMAIL_ERROR_ID,
          error,
          i18n,
        });
  return renderDocument(
    view,
    t('emailChange.title'),
    html`<div class="page-icon" aria-hidden="true">${MAIL_ICON}</div><h1>${t('emailChange.title')}</h1><p class="lead">${lead}</p><div class="body">${alertBox(EMAIL_ERROR_ID, error)}${form}<p class="center back-link"><a href="${view.accountUrl}">${t('emailChange.back')}</a></p></div>`,
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
  error?: MessageText;
}

const DELETE_ERROR_ID = 'delete-error';

/**
 * Confirms deleting the account: what goes, when, and the confirmation (type `DELETE` or the
 * account's address, as `confirm`; the current password as `current_password` when it has one).
 */
export function renderDeleteAccountPage(view: DeleteAccountPageView): string {
  const i18n = messagesOf(view);
  const { t } = i18n;
  const error = messageText(i18n, view.error);
  const hasError = error !== undefined && error !== '';
  const describedBy = hasError ? html` aria-describedby="${DELETE_ERROR_ID}"` : '';
  const when = view.graceDays === 0 ? t('deleteAccount.now') : t('deleteAccount.grace', { days: view.graceDays });
  const confirmHint = view.email ? t('deleteAccount.confirmHintEmail') : t('deleteAccount.confirmHint');
  const password =
    view.askPassword &&
    html`<div class="field"><label for="delete-password">${t('accountPage.password.current')}</label><input class="input" id="delete-password" name="current_password" type="password" autocomplete="current-password" required${describedBy}></div>`;
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    content: html`<div class="field"><label for="delete-confirm">${t('deleteAccount.confirm')}</label><p class="hint" id="delete-confirm-hint">${confirmHint}</p><input class="input" id="delete-confirm" name="confirm" type="text" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="254" required aria-describedby="delete-confirm-hint${hasError ? ` ${DELETE_ERROR_ID}` : ''}"${hasError && html` autofocus aria-invalid="true"`}></div>${password}<div class="actions"><a class="button button-secondary" href="${view.accountUrl}">${t('deleteAccount.cancel')}</a>${submitButton({ label: t('deleteAccount.submit'), variant: 'primary', className: 'button-danger' })}</div>`,
  });
  return renderDocument(
    view,
    t('deleteAccount.title'),
    html`<h1>${t('deleteAccount.heading')}</h1><p class="lead">${when}</p><ul class="confirm-list"><li>${t('deleteAccount.signedOut')}</li><li>${t('deleteAccount.appsLoseAccess')}</li><li>${t('deleteAccount.methodsRemoved')}</li></ul><div class="body">${alertBox(DELETE_ERROR_ID, error)}${form}</div>`,
  );
}

/** View model of {@link renderAccountDeletedPage}. */
export interface AccountDeletedPageView extends PageBase {
  /** When the account is removed for good, in the page's language (such as "12 March 2025", see `formatDate`); absent: removed already. */
  removedOn?: string;
}

/** Shown once the account is deleted (the session is ended with it). */
export function renderAccountDeletedPage(view: AccountDeletedPageView): string {
  const { t } = messagesOf(view);
  const product = view.branding.productName;
  const lead = view.removedOn === undefined ? t('accountDeleted.removed', { product }) : t('accountDeleted.disabled', { product, date: view.removedOn });
  return renderDocument(
    view,
    t('accountDeleted.title'),
    html`<h1>${t('accountDeleted.heading')}</h1><p class="lead">${lead}</p><p class="lead">${t('accountDeleted.close')}</p>`,
  );
}
