import { html, type HtmlValue, type SafeHtml } from './escape.js';
import { postForm, submitButton } from './form.js';
import { englishMessages, type Translator } from './i18n/messages.js';

/** Six digits, as authenticator apps (RFC 6238) and our text/email codes have. */
const SIX_DIGITS = '\\d{6}';

/**
 * A labelled input named `code` for a one-time code. `kind: 'otp'` is a six-digit code: numeric
 * keypad on phones, `autocomplete="one-time-code"` so the code from a text message is offered,
 * and a `pattern` so a typo is caught before a round trip (and before spending an attempt).
 * `kind: 'recovery'` is a recovery code such as `abcde-23456`: free text, no autocorrection.
 *
 * A hint between label and input, when given, is tied to it with `aria-describedby`, as is `describedBy`.
 * `i18n`: the page's language, for the pattern's title ("6 digits"); English when not given.
 */
export function codeField(options: {
  id: string;
  label: HtmlValue;
  kind: 'otp' | 'recovery';
  hint?: HtmlValue;
  autofocus?: boolean;
  invalid?: boolean;
  describedBy?: string;
  i18n?: Translator;
}): SafeHtml {
  const o = options;
  const i18n = o.i18n ?? englishMessages();
  const hintId = o.hint !== undefined ? `${o.id}-hint` : undefined;
  const describedBy = [hintId, o.describedBy].filter(Boolean).join(' ');
  const kindAttributes =
    o.kind === 'otp'
      ? html` inputmode="numeric" autocomplete="one-time-code" pattern="${SIX_DIGITS}" maxlength="6" title="${i18n.text('code.sixDigits')}"`
      : html` autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="32"`;
  return html`<div class="field"><label for="${o.id}">${o.label}</label>${hintId !== undefined && html`<p class="hint" id="${hintId}">${o.hint}</p>`}<input class="input input-code" id="${o.id}" name="code" type="text"${kindAttributes} required${o.autofocus && html` autofocus`}${o.invalid && html` aria-invalid="true"`}${describedBy !== '' && html` aria-describedby="${describedBy}"`}></div>`;
}

/**
 * The form of a page that asks for the 6-digit code it just sent (sign-in by email, a new
 * account's address, a new address or phone number, an authenticator app being set up): one
 * {@link codeField} named `code` and the primary button, posted with `csrf` (and `hiddenFields`)
 * to `action`. The field takes the focus, unless `autofocus: false` (the set-up page: the QR code
 * comes first); after an error it always does, marked invalid and described by the page's alert
 * (`errorId`), so that the error is read out with the field.
 *
 * @example
 * codeEntryForm({ action, csrfToken, label: 'Code', submitLabel: 'Confirm email address', errorId: 'verify-error', error: view.error });
 */
export function codeEntryForm(options: {
  action: string;
  csrfToken: string;
  hiddenFields?: Record<string, string>;
  label: HtmlValue;
  hint?: HtmlValue;
  submitLabel: HtmlValue;
  /** A class for the button besides its variant's (`submit`: full width). */
  submitClassName?: string;
  /** The id of the page's alert, which says what was wrong. */
  errorId: string;
  /** The message of that alert, if any: empty or absent is no error. */
  error?: string;
  autofocus?: false;
  /** The page's language (English when not given). */
  i18n?: Translator;
}): SafeHtml {
  const o = options;
  const hasError = o.error !== undefined && o.error !== '';
  return postForm({
    action: o.action,
    csrfToken: o.csrfToken,
    hiddenFields: o.hiddenFields,
    content: html`${codeField({
      id: 'code',
      label: o.label,
      kind: 'otp',
      hint: o.hint,
      autofocus: hasError || o.autofocus !== false,
      invalid: hasError,
      describedBy: hasError ? o.errorId : undefined,
      ...(o.i18n ? { i18n: o.i18n } : {}),
    })}${submitButton({ label: o.submitLabel, variant: 'primary', className: o.submitClassName })}`,
  });
}
