import { codeField } from './code-field.js';
import { html } from './escape.js';
import { postForm, submitButton } from './form.js';
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
  const hasError = view.error !== undefined && view.error !== '';
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    hiddenFields: { factor: view.factorId },
    content: html`${codeField({
      id: 'code',
      label: 'Code',
      kind: 'otp',
      autofocus: !hasError,
      invalid: hasError,
      describedBy: hasError ? ERROR_ID : undefined,
    })}${submitButton({ label: `Confirm ${what}`, variant: 'primary' })}`,
  });
  return renderDocument(
    view,
    `Confirm your ${what}`,
    html`<h1>Confirm your ${what}</h1><p class="lead">We sent a 6-digit code to <strong>${view.masked}</strong>. Enter it below to confirm it’s yours.</p><div class="body">${alertBox(ERROR_ID, view.error)}${form}</div>`,
  );
}
