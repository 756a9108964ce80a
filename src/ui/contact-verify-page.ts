import { codeEntryForm } from './code-field.js';
import { html } from './escape.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';

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
  /** Message after a wrong code. */
  error?: string;
}

const ERROR_ID = 'contact-error';

/**
 * Confirms a newly added phone number or email address with the code just sent to it. Posts
 * `factor`, `code` and `csrf`. Whether it is a phone number or an email address is read from the
 * masked value (only an address has an `@`).
 */
export function renderContactVerifyPage(view: ContactVerifyPageView): string {
  const what = view.masked.includes('@') ? 'email address' : 'phone number';
  const form = codeEntryForm({
    action: view.action,
    csrfToken: view.csrfToken,
    hiddenFields: { factor: view.factorId },
    label: 'Code',
    submitLabel: `Confirm ${what}`,
    errorId: ERROR_ID,
    error: view.error,
  });
  return renderDocument(
    view,
    `Confirm your ${what}`,
    html`<h1>Confirm your ${what}</h1><p class="lead">We sent a 6-digit code to <strong>${view.masked}</strong>. Enter it below to confirm it’s yours.</p><div class="body">${alertBox(ERROR_ID, view.error)}${form}</div>`,
  );
}
