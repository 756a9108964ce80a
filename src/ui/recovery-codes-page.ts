import { html } from './escape.js';
import { postForm, submitButton } from './form.js';
import type { Translator } from './i18n/messages.js';
import { messagesOf, renderDocument, type PageBase } from './layout.js';
import { messageText, type MessageText } from './message-text.js';
import { DOWNLOAD_ICON } from './mfa-icons.js';

/** View model of {@link renderRecoveryCodesPage}. */
export interface RecoveryCodesPageView extends PageBase {
  /** The new codes, shown this once (the server keeps only their hashes). */
  codes: string[];
  /** Where the continue form posts to. */
  continueAction: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** The continue button, such as `{ key: 'recoveryCodes.continue' }` or "Done". */
  continueLabel: MessageText;
  /** Posted along with `csrf` by the continue form. */
  hiddenFields?: Record<string, string>;
}

/** The downloadable file: a heading, how to use the codes, one code per line. */
function codesFile(i18n: Translator, productName: string, codes: string[]): string {
  return [i18n.text('recoveryCodes.fileTitle', { product: productName }), '', i18n.text('recoveryCodes.fileHelp'), '', ...codes, ''].join('\n');
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
  const i18n = messagesOf(view);
  const { t } = i18n;
  const download = `data:text/plain;charset=utf-8,${encodeURIComponent(codesFile(i18n, view.branding.productName, view.codes))}`;
  const form = postForm({
    action: view.continueAction,
    csrfToken: view.csrfToken,
    ...(view.hiddenFields ? { hiddenFields: view.hiddenFields } : {}),
    content: submitButton({ label: messageText(i18n, view.continueLabel), variant: 'primary' }),
  });
  return renderDocument(
    view,
    t('recoveryCodes.title'),
    html`<h1>${t('recoveryCodes.title')}</h1><p class="lead">${t('recoveryCodes.lead')}</p>
<div class="body"><ul class="recovery-codes" id="recovery-codes" aria-label="${i18n.text('recoveryCodes.listLabel')}">${view.codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
<p class="note note-warning">${t('recoveryCodes.keepSafe')}</p>
<div class="actions"><a class="button button-secondary button-icon" href="${download}" download="recovery-codes.txt">${DOWNLOAD_ICON}<span>${t('recoveryCodes.download')}</span></a></div>
<div class="submit">${form}</div></div>`,
  );
}
