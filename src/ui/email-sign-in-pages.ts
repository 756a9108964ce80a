import { continueToClient, type ClientSummary } from './client.js';
import { codeEntryForm } from './code-field.js';
import { html } from './escape.js';
import { postForm, submitButton } from './form.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';

/** View model of {@link renderEmailCodePage}. */
export interface EmailCodePageView extends PageBase {
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
  const form = codeEntryForm({
    action: view.action,
    csrfToken: view.csrfToken,
    label: 'Sign-in code',
    hint: 'The 6-digit code in the email. It works for 10 minutes.',
    submitLabel: 'Sign in',
    submitClassName: 'submit',
    errorId: ERROR_ID,
    error: view.error,
  });
  const resend = postForm({
    action: view.resendAction,
    csrfToken: view.csrfToken,
    hiddenFields: { resend: '1' },
    content: submitButton({ label: 'Send a new code', variant: 'secondary' }),
  });
  return renderDocument(
    view,
    'Check your email',
    html`<h1>Check your email</h1>${continueToClient(view.client)}<p class="lead">If an account uses this address, we emailed it a sign-in code and a link. Enter the code here, or open the link in this browser.</p><div class="body">${alertBox(ERROR_ID, view.error)}${form}<div class="divider" role="separator"><span>or</span></div>${resend}<p class="note center"><a href="${view.passwordUrl}">Use your password instead</a></p></div>`,
  );
}
