import { continueToClient, type ClientSummary } from './client.js';
import { codeField } from './code-field.js';
import { html, type SafeHtml } from './escape.js';
import { postForm, submitButton } from './form.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';
import { KEY_ICON, LOCK_ICON, MAIL_ICON, PHONE_ICON } from './mfa-icons.js';
import { passkeyForm, passkeyScripts } from './passkey.js';
import { safeUrl } from './safe-url.js';

/** A phone number or email address the user can be sent a code at. */
export interface MfaContact {
  /** Posted back as `factor`. */
  factorId: string;
  channel: 'sms' | 'email';
  /** Shown to the user, already masked (see `maskPhone`, `maskEmail`). */
  masked: string;
}

/** View model of {@link renderMfaChallengePage}. */
export interface MfaChallengePageView extends PageBase {
  /** Where every code form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field, and as `X-CSRF-Token` by the passkey script. */
  csrfToken: string;
  /** The application the user signs in to; without one (a password reset), `lead` says what the step is for. */
  client?: ClientSummary;
  /** The line under the heading when there is no client, such as "before you choose a new password". */
  lead?: string;
  /** Hidden fields every form carries besides `method` and `csrf` (a password reset's link). */
  hiddenFields?: Record<string, string>;
  /** The second factors the user has. */
  methods: { totp: boolean; recoveryCodes: boolean; passkey: boolean; contacts: MfaContact[] };
  /** Set after a code was sent: the page then asks for that code first. */
  codeSent?: { factorId: string; masked: string };
  /** Message after a failed attempt, such as "That code didn’t work." */
  error?: string;
  /** Human-readable time until which codes are refused (too many attempts), such as "10:42". */
  lockedUntil?: string;
  /** Offers "Use a passkey" when set (and `methods.passkey`); see `passkeyScripts` for the protocol. */
  passkey?: { optionsUrl: string; verifyUrl: string; scriptUrl: string };
}

const ERROR_ID = 'mfa-error';

/** A masked number kept on one line ("+44 ••• 123" split after "•••" looks broken); addresses may wrap. */
function maskedText(contact: { masked: string }, channel: 'sms' | 'email'): SafeHtml {
  return channel === 'sms' ? html`<span class="nowrap">${contact.masked}</span>` : html`${contact.masked}`;
}

function sendLabel(contact: MfaContact): SafeHtml {
  return contact.channel === 'sms' ? html`Text a code to ${maskedText(contact, 'sms')}` : html`Email a code to ${maskedText(contact, 'email')}`;
}

/**
 * The second step of signing in. Every form posts to `action` with `csrf` and a `method`:
 *
 * - `method=totp`, `code`: a code from an authenticator app (RFC 6238);
 * - `method=send`, `factor`: send a code to that phone number or email;
 * - `method=contact`, `factor`, `code`: the code that was sent;
 * - `method=recovery`, `code`: a recovery code.
 *
 * With `passkey` set there is also "Use a passkey", which runs WebAuthn from a nonce-carrying
 * script and is shown only when the browser supports it. While `lockedUntil` is set, the code
 * forms are disabled; a passkey, which cannot be guessed, stays available.
 *
 * @example
 * renderMfaChallengePage({ branding, nonce, action: '/interaction/abc/mfa', csrfToken, client: { name: 'Acme' },
 *   methods: { totp: true, recoveryCodes: true, passkey: false, contacts: [] } });
 */
export function renderMfaChallengePage(view: MfaChallengePageView): string {
  const { methods, codeSent } = view;
  const locked = view.lockedUntil !== undefined && view.lockedUntil !== '';
  const hasError = view.error !== undefined && view.error !== '';
  // Disabling a fieldset disables every control in it, with no script.
  const codeForm = (method: string, content: SafeHtml, hiddenFields: Record<string, string> = {}) =>
    postForm({
      action: view.action,
      csrfToken: view.csrfToken,
      hiddenFields: { ...view.hiddenFields, method, ...hiddenFields },
      content: html`<fieldset class="plain"${locked && html` disabled`}>${content}</fieldset>`,
    });

  // The first code field is where the user acts; it takes focus unless there is a message to read.
  let primaryTaken = false;
  const primary = () => {
    const first = !primaryTaken;
    primaryTaken = true;
    return { autofocus: first && !hasError && !locked, invalid: first && hasError, describedBy: first && hasError ? ERROR_ID : undefined };
  };

  const divider = html`<div class="divider" role="separator"><span>or</span></div>`;
  const main: SafeHtml[] = [];
  if (codeSent !== undefined) {
    main.push(
      codeForm(
        'contact',
        html`${codeField({ id: 'contact-code', label: `Enter the code we sent to ${codeSent.masked}`, kind: 'otp', ...primary() })}${submitButton({ label: 'Verify', variant: 'primary' })}`,
        { factor: codeSent.factorId },
      ),
    );
  }
  if (methods.totp) {
    main.push(
      codeForm(
        'totp',
        html`${codeField({ id: 'totp-code', label: 'Code from your authenticator app', kind: 'otp', hint: 'Enter the 6-digit code the app shows.', ...primary() })}${submitButton({ label: 'Verify', variant: codeSent === undefined ? 'primary' : 'secondary' })}`,
      ),
    );
  }

  const passkeySrc = view.passkey !== undefined ? safeUrl(view.passkey.scriptUrl) : undefined;
  const passkey =
    methods.passkey && view.passkey !== undefined && passkeySrc !== undefined
      ? passkeyForm({
          ceremony: 'authenticate',
          optionsUrl: view.passkey.optionsUrl,
          verifyUrl: view.passkey.verifyUrl,
          csrfToken: view.csrfToken,
          statusId: 'passkey-status',
          content: html`<button type="submit" id="passkey-button" class="button ${main.length === 0 ? 'button-primary' : 'button-secondary'} button-icon">${KEY_ICON}<span>Use a passkey</span></button>`,
        })
      : undefined;

  const sends = methods.contacts.map((contact) =>
    codeForm(
      'send',
      html`<button type="submit" class="button button-secondary button-icon">${contact.channel === 'sms' ? PHONE_ICON : MAIL_ICON}<span>${
        // The one a code was just sent to: asking again means a new code.
        codeSent?.factorId === contact.factorId ? html`Send a new code to ${maskedText(contact, contact.channel)}` : sendLabel(contact)
      }</span></button>`,
      { factor: contact.factorId },
    ),
  );

  // The passkey block is hidden until its script finds passkeys supported. When it is the only
  // alternative, the "or" goes inside it, so no lone "or" is left when it stays hidden.
  const lead = main.length > 0 && (sends.length > 0 ? divider : undefined);
  const passkeyBlock = passkey !== undefined && html`<div data-passkey-block hidden>${main.length > 0 && sends.length === 0 && divider}${passkey}</div>`;
  const alternatives = (passkeyBlock !== false || sends.length > 0) && html`${lead}<div class="options">${passkeyBlock}${sends}</div>`;

  const recovery =
    methods.recoveryCodes &&
    html`<details class="disclosure"${main.length === 0 && sends.length === 0 && passkey === undefined && html` open`}><summary>Use a recovery code</summary>${codeForm(
      'recovery',
      html`${codeField({ id: 'recovery-code', label: 'Recovery code', kind: 'recovery', hint: 'One of the codes you saved when you set up two-step verification, like abcde-23456. Each works once.' })}${submitButton({ label: 'Verify', variant: 'secondary' })}`,
    )}</details>`;

  const nothing =
    main.length === 0 &&
    passkey === undefined &&
    sends.length === 0 &&
    !methods.recoveryCodes &&
    html`<p class="lead">No way to verify is set up for this account. Contact your administrator for help.</p>`;

  const lockedBox =
    locked &&
    html`<div class="alert" id="mfa-locked" role="alert">${LOCK_ICON}<p>Too many attempts. For your security, codes can’t be used until <strong>${view.lockedUntil}</strong>. Try again then${passkey !== undefined ? ', or use a passkey' : ''}.</p></div>`;

  return renderDocument(
    view,
    'Two-step verification',
    html`<h1>Two-step verification</h1>${view.client !== undefined ? continueToClient(view.client) : view.lead !== undefined && html`<p class="lead">${view.lead}</p>`}<div class="body">${alertBox(ERROR_ID, view.error)}${lockedBox}${main.map((form, index) => html`${index > 0 && divider}${form}`)}${nothing}${alternatives}${recovery}</div>${passkey !== undefined && passkeySrc !== undefined && passkeyScripts(passkeySrc, view.nonce)}`,
  );
}
