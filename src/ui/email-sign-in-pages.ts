import { continueToClient, type ClientSummary } from './client.js';
import { codeEntryForm } from './code-field.js';
import { html } from './escape.js';
import type { Translator } from './i18n/messages.js';
import { postForm, submitButton } from './form.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';

/** View model of {@link renderEmailCodePage}. */
export interface EmailCodePageView extends PageBase {
  i18n: Translator;
  /** Where the code posts to (`code`, `csrf`). */
  action: string;
  /** "Send a new code" posts here (`resend=1`, `csrf`). */
  resendAction: string;
  /** Sent back in the hidden `csrf` field of both forms. */
  csrfToken: string;
  /** "Use your password instead": the sign-in's login page. */
  passwordUrl: string;
  /** The application the user signs in to. */
  client: ClientSummary;
  /** Message after a wrong or refused code. */
  error?: string;
}

const ERROR_ID = 'email-code-error';

/**
 * "Enter the code we emailed": shown after "Email me a sign-in code" whether or not an account
 * uses the address (it never says which, nor repeats the address). The email also carries a link
 * that signs in directly when opened in this browser.
 */
export function renderEmailCodePage(view: EmailCodePageView): string {
  const { t, text } = view.i18n;
  const form = codeEntryForm({
    action: view.action,
    csrfToken: view.csrfToken,
    label: text('emailCode.code'),
    hint: text('emailCode.hint'),
    submitLabel: text('emailCode.submit'),
    submitClassName: 'submit',
    errorId: ERROR_ID,
    error: view.error,
    i18n: view.i18n,
  });
  const resend = postForm({
    action: view.resendAction,
    csrfToken: view.csrfToken,
    hiddenFields: { resend: '1' },
    content: submitButton({ label: t('emailCode.resend'), variant: 'secondary' }),
  });
  return renderDocument(
    view,
    t('emailCode.title'),
    html`<h1>${t('emailCode.title')}</h1>${continueToClient(view.client, view.i18n)}<p class="lead">${t('emailCode.lead')}</p><div class="body">${alertBox(ERROR_ID, view.error)}${form}<div class="divider" role="separator"><span>${t('login.or')}</span></div>${resend}<p class="note center"><a href="${view.passwordUrl}">${t('emailCode.usePassword')}</a></p></div>`,
  );
}
