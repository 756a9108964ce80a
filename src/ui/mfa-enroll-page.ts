import { continueToClient, type ClientSummary } from './client.js';
import { codeEntryForm } from './code-field.js';
import { html, trustedHtml, type HtmlValue } from './escape.js';
import { messagesOf, renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';
import { messageText, type MessageText } from './message-text.js';
import { INFO_ICON } from './mfa-icons.js';

/** View model of {@link renderMfaEnrollPage}. */
export interface MfaEnrollPageView extends PageBase {
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** The application the user signs in to, when set-up happens during a sign-in. */
  client?: ClientSummary;
  /**
   * The `otpauth://` URI as a QR code: SVG markup the server rendered itself (e.g. with `qrcode`).
   * Embedded as is, NOT escaped, so it must never contain anything user-controlled.
   */
  qrSvg: string;
  /** The base32 TOTP secret, for typing into the app by hand. */
  secret: string;
  /** Message after a failed attempt, such as `{ key: 'mfa.error.wrong' }`. */
  error?: MessageText;
  /** Whether the user must set this up to continue (policy or the application requires it). */
  required: boolean;
}

const ERROR_ID = 'enroll-error';

/** `JBSWY3DPEHPK3PXP` → `JBSW Y3DP EHPK 3PXP`: groups of four are easier to copy by hand. */
function groupsOfFour(secret: string): string {
  return (secret.replace(/\s+/g, '').match(/.{1,4}/g) ?? []).join(' ');
}

/**
 * Setting up an authenticator app (TOTP, RFC 6238): scan the QR code or type the key, then prove
 * it works with a first code. Posts `code` and `csrf`.
 *
 * @example
 * renderMfaEnrollPage({ branding, nonce, action: '/account/totp', csrfToken, qrSvg, secret, required: false });
 */
export function renderMfaEnrollPage(view: MfaEnrollPageView): string {
  const i18n = messagesOf(view);
  const { t } = i18n;
  const error = messageText(i18n, view.error);
  const builtIn = view.client?.builtIn;
  const who = builtIn ? i18n.text(builtIn === 'account' ? 'builtInClient.account' : 'builtInClient.admin') : view.client?.name;
  const requiredNote =
    view.required &&
    html`<div class="notice notice-plain">${INFO_ICON}<p>${who !== undefined && who !== '' ? t('mfaEnroll.requiredBy', { client: who }) : t('mfaEnroll.requiredAccount')}</p></div>`;
  const form = codeEntryForm({
    action: view.action,
    csrfToken: view.csrfToken,
    label: i18n.text('mfaEnroll.codeLabel'),
    submitLabel: i18n.text('mfaEnroll.submit'),
    errorId: ERROR_ID,
    error,
    autofocus: false,
  });
  return renderDocument(
    view,
    t('mfaEnroll.title'),
    // <nowrap> keeps words whole: a line break after "two-" reads as a typo.
    html`<h1 class="long">${t('mfaEnroll.heading', { nowrap: (content: HtmlValue[]) => html`<span class="nowrap">${content}</span>` })}</h1>${view.client !== undefined && continueToClient(view.client, i18n)}<div class="body">${alertBox(ERROR_ID, error)}${requiredNote}
<p>${t('mfaEnroll.intro')}</p>
<ol class="steps">
<li><h2 class="step-title" id="qr-title">${t('mfaEnroll.scan')}</h2>
<figure class="qr" aria-labelledby="qr-title"><div class="qr-code" role="img" aria-label="${i18n.text('mfaEnroll.qrLabel')}">${trustedHtml(view.qrSvg)}</div></figure>
<dl class="secret"><dt>${t('mfaEnroll.cantScan')}</dt><dd><code>${groupsOfFour(view.secret)}</code></dd></dl></li>
<li><h2 class="step-title">${t('mfaEnroll.enterCode')}</h2>${form}</li>
</ol></div>`,
  );
}
