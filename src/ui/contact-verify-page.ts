import { codeEntryForm } from './code-field.js';
import { html } from './escape.js';
import { messagesOf, renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';
import { messageText, type MessageText } from './message-text.js';

/** View model of {@link renderContactVerifyPage}. */
export interface ContactVerifyPageView extends PageBase {
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** The new phone number or email factor, posted back as `factor`. */
  factorId: string;
  /** Where the code went, already masked (see `maskPhone`, `maskEmail`). */
  masked: string;
  /** Message after a wrong code, such as `{ key: 'accountError.codeWrong' }`. */
  error?: MessageText;
}

const ERROR_ID = 'contact-error';

/**
 * Confirms a newly added phone number or email address with the code just sent to it. Posts
 * `factor`, `code` and `csrf`. Whether it is a phone number or an email address is read from the
 * masked value (only an address has an `@`).
 */
export function renderContactVerifyPage(view: ContactVerifyPageView): string {
  const i18n = messagesOf(view);
  const { t } = i18n;
  const error = messageText(i18n, view.error);
  const email = view.masked.includes('@');
  const title = email ? t('contactVerify.titleEmail') : t('contactVerify.titlePhone');
  const form = codeEntryForm({
    action: view.action,
    csrfToken: view.csrfToken,
    hiddenFields: { factor: view.factorId },
    label: t('contactVerify.code'),
    submitLabel: email ? t('contactVerify.submitEmail') : t('contactVerify.submitPhone'),
    errorId: ERROR_ID,
    error,
    i18n,
  });
  return renderDocument(
    view,
    title,
    html`<h1>${title}</h1><p class="lead">${t('contactVerify.lead', { masked: view.masked })}</p><div class="body">${alertBox(ERROR_ID, error)}${form}</div>`,
  );
}
