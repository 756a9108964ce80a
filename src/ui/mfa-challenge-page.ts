import { continueToClient, type ClientSummary } from './client.js';
import { codeField } from './code-field.js';
import { html, type SafeHtml } from './escape.js';
import type { Translator } from './i18n/messages.js';
import { postForm, submitButton } from './form.js';
import { messagesOf, renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';
import { KEY_ICON, LOCK_ICON, MAIL_ICON, PHONE_ICON } from './mfa-icons.js';
import { messageText, type MessageText } from './message-text.js';
import { passkeyForm, passkeyMessages, passkeyScripts } from './passkey.js';
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
  lead?: MessageText;
  /** Hidden fields every form carries besides `method` and `csrf` (a password reset's link). */
  hiddenFields?: Record<string, string>;
  /** The second factors the user has. */
  methods: { totp: boolean; recoveryCodes: boolean; passkey: boolean; contacts: MfaContact[] };
  /** Set after a code was sent: the page then asks for that code first. */
  codeSent?: { factorId: string; masked: string };
  /** Message after a failed attempt, such as `{ key: 'mfa.error.wrong' }`. */
  error?: MessageText;
  /** Until when codes are refused (too many attempts): a time, written in the page's language (UTC), or text. */
  lockedUntil?: Date | string;
  /** Offers "Use a passkey" when set (and `methods.passkey`); see `passkeyScripts` for the protocol. */
  passkey?: { optionsUrl: string; verifyUrl: string; scriptUrl: string };
}

const ERROR_ID = 'mfa-error';

/** A masked number kept on one line ("+44 ••• 123" split after "•••" looks broken); addresses may wrap. */
function maskedText(contact: { masked: string }, channel: 'sms' | 'email'): SafeHtml {
  return channel === 'sms' ? html`<span class="nowrap">${contact.masked}</span>` : html`${contact.masked}`;
}

function sendLabel(i18n: Translator, contact: MfaContact): SafeHtml {
  const masked = maskedText(contact, contact.channel);
  return contact.channel === 'sms' ? i18n.t('mfa.sendSms', { masked }) : i18n.t('mfa.sendEmail', { masked });
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
  const i18n = messagesOf(view);
  const { t } = i18n;
  // A time in UTC, marked so (the server does not know the user's time zone).
  const lockedUntil = view.lockedUntil instanceof Date ? `${i18n.dateTime(view.lockedUntil)} UTC` : view.lockedUntil;
  const locked = lockedUntil !== undefined && lockedUntil !== '';
  const error = messageText(i18n, view.error);
  const hasError = error !== undefined && error !== '';
  // Disabling a fieldset disables every control in it, with no script.
  const codeForm = (method: string, content: SafeHtml, hiddenFields: Record<string, string> = {}) =>
    postForm({
      action: view.action,
      csrfToken: view.csrfToken,
      hiddenFields: { ...view.hiddenFields, method, ...hiddenFields },
      content: html`<fieldset class="plain"${locked && html` disabled`}>${content}</fieldset>`,
    });

  // The first code field is where the user acts: it takes the focus (after an error too, described by the alert).
  let primaryTaken = false;
  const primary = () => {
    const first = !primaryTaken;
    primaryTaken = true;
    return { autofocus: first && !locked, invalid: first && hasError, describedBy: first && hasError ? ERROR_ID : undefined };
  };

  const divider = html`<div class="divider" role="separator"><span>${t('mfa.or')}</span></div>`;
  const main: SafeHtml[] = [];
  if (codeSent !== undefined) {
    main.push(
      codeForm(
        'contact',
        html`${codeField({ id: 'contact-code', label: i18n.text('mfa.codeSentLabel', { masked: codeSent.masked }), kind: 'otp', ...primary() })}${submitButton({ label: t('mfa.verify'), variant: 'primary' })}`,
        { factor: codeSent.factorId },
      ),
    );
  }
  if (methods.totp) {
    main.push(
      codeForm(
        'totp',
        html`${codeField({ id: 'totp-code', label: i18n.text('mfa.totpLabel'), kind: 'otp', hint: i18n.text('mfa.totpHint'), ...primary() })}${submitButton({ label: t('mfa.verify'), variant: codeSent === undefined ? 'primary' : 'secondary' })}`,
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
          messages: passkeyMessages(i18n),
          content: html`<button type="submit" id="passkey-button" class="button ${main.length === 0 ? 'button-primary' : 'button-secondary'} button-icon">${KEY_ICON}<span>${t('mfa.usePasskey')}</span></button>`,
        })
      : undefined;

  const sends = methods.contacts.map((contact) =>
    codeForm(
      'send',
      html`<button type="submit" class="button button-secondary button-icon">${contact.channel === 'sms' ? PHONE_ICON : MAIL_ICON}<span>${
        // The one a code was just sent to: asking again means a new code.
        codeSent?.factorId === contact.factorId ? t('mfa.sendAgain', { masked: maskedText(contact, contact.channel) }) : sendLabel(i18n, contact)
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
    html`<details class="disclosure"${main.length === 0 && sends.length === 0 && passkey === undefined && html` open`}><summary>${t('mfa.useRecoveryCode')}</summary>${codeForm(
      'recovery',
      html`${codeField({ id: 'recovery-code', label: i18n.text('mfa.recoveryLabel'), kind: 'recovery', hint: i18n.text('mfa.recoveryHint', { example: 'abcde-23456' }) })}${submitButton({ label: t('mfa.verify'), variant: 'secondary' })}`,
    )}</details>`;

  const nothing = main.length === 0 && passkey === undefined && sends.length === 0 && !methods.recoveryCodes && html`<p class="lead">${t('mfa.nothing')}</p>`;

  const lockedBox =
    locked &&
    html`<div class="alert" id="mfa-locked" role="alert">${LOCK_ICON}<p>${passkey !== undefined ? t('mfa.lockedPasskey', { until: lockedUntil }) : t('mfa.locked', { until: lockedUntil })}</p></div>`;

  return renderDocument(
    view,
    t('mfa.title'),
    html`<h1>${t('mfa.title')}</h1>${view.client !== undefined ? continueToClient(view.client, i18n) : view.lead !== undefined && html`<p class="lead">${messageText(i18n, view.lead)}</p>`}<div class="body">${alertBox(ERROR_ID, error)}${lockedBox}${main.map((form, index) => html`${index > 0 && divider}${form}`)}${nothing}${alternatives}${recovery}</div>${passkey !== undefined && passkeySrc !== undefined && passkeyScripts(passkeySrc, view.nonce)}`,
  );
}
