import { continueToClient, type ClientSummary } from './client.js';
import { codeEntryForm } from './code-field.js';
import { html, trustedHtml } from './escape.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';
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
  /** Message after a failed attempt, such as "That code didn’t work. Check the time on your phone." */
  error?: string;
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
  const who = view.client?.name;
  const requiredNote =
    view.required &&
    html`<div class="notice notice-plain">${INFO_ICON}<p>${who !== undefined && who !== '' ? html`<strong>${who}</strong> requires` : 'Your account requires'} two-step verification. Set it up to continue.</p></div>`;
  const form = codeEntryForm({
    action: view.action,
    csrfToken: view.csrfToken,
    label: '6-digit code',
    submitLabel: 'Verify and turn on',
    errorId: ERROR_ID,
    error: view.error,
    autofocus: false,
  });
  return renderDocument(
    view,
    'Set up two-step verification',
    // Kept whole: a line break after "two-" reads as a typo.
    html`<h1 class="long">Set up <span class="nowrap">two-step</span> verification</h1>${view.client !== undefined && continueToClient(view.client)}<div class="body">${alertBox(ERROR_ID, view.error)}${requiredNote}
<p>Use an authenticator app, such as Google Authenticator, Microsoft Authenticator or 1Password, to get a code each time you sign in.</p>
<ol class="steps">
<li><h2 class="step-title" id="qr-title">Scan this QR code with the app</h2>
<figure class="qr" aria-labelledby="qr-title"><div class="qr-code" role="img" aria-label="QR code for adding your account to an authenticator app">${trustedHtml(view.qrSvg)}</div></figure>
<dl class="secret"><dt>Can’t scan it? Enter this setup key instead:</dt><dd><code>${groupsOfFour(view.secret)}</code></dd></dl></li>
<li><h2 class="step-title">Enter the code from the app</h2>${form}</li>
</ol></div>`,
  );
}
