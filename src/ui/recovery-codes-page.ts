import { html } from './escape.js';
import { postForm, submitButton } from './form.js';
import { renderDocument, type PageBase } from './layout.js';
import { DOWNLOAD_ICON } from './mfa-icons.js';

/** View model of {@link renderRecoveryCodesPage}. */
export interface RecoveryCodesPageView extends PageBase {
  /** The new codes, shown this once (the server keeps only their hashes). */
  codes: string[];
  /** Where the continue form posts to. */
  continueAction: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** Text of the continue button, such as "Continue to Acme" or "Done". */
  continueLabel: string;
  /** Posted along with `csrf` by the continue form. */
  hiddenFields?: Record<string, string>;
}

/** The downloadable file: a heading, how to use the codes, one code per line. */
function codesFile(productName: string, codes: string[]): string {
  return [`${productName} recovery codes`, '', 'Each code can be used once to sign in if you cannot use your usual second step.', '', ...codes, ''].join('\n');
}

/**
 * Shows a new set of recovery codes once, with a "Download" link that saves them as
 * `recovery-codes.txt` (a `data:` URL: no script, nothing sent to the server again), and a form
 * posting `csrf` to `continueAction` to move on.
 *
 * @example
 * renderRecoveryCodesPage({ branding, nonce, codes, continueAction: '/account', csrfToken, continueLabel: 'Done' });
 */
export function renderRecoveryCodesPage(view: RecoveryCodesPageView): string {
  const download = `data:text/plain;charset=utf-8,${encodeURIComponent(codesFile(view.branding.productName, view.codes))}`;
  const form = postForm({
    action: view.continueAction,
    csrfToken: view.csrfToken,
    ...(view.hiddenFields ? { hiddenFields: view.hiddenFields } : {}),
    content: submitButton({ label: view.continueLabel, variant: 'primary' }),
  });
  return renderDocument(
    view,
    'Save your recovery codes',
    html`<h1>Save your recovery codes</h1><p class="lead">If you lose your phone or security key, you can sign in with one of these codes instead. Each code works once.</p>
<div class="body"><ul class="recovery-codes" id="recovery-codes" aria-label="Recovery codes">${view.codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
<p class="note note-warning"><strong>Keep them somewhere safe</strong>, such as a password manager. They won’t be shown again, and anyone who has them can get past your second step.</p>
<div class="actions"><a class="button button-secondary button-icon" href="${download}" download="recovery-codes.txt">${DOWNLOAD_ICON}<span>Download</span></a></div>
<div class="submit">${form}</div></div>`,
  );
}
