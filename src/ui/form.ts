import { html, trustedHtml, type HtmlValue, type SafeHtml } from './escape.js';
import { englishMessages, type Translator } from './i18n/messages.js';

/** Name of the hidden input that carries the anti-CSRF token in every form. */
export const CSRF_FIELD = 'csrf';

/** One `<input type="hidden">` per entry, in insertion order. */
export function hiddenInputs(fields: Record<string, string>): SafeHtml {
  return html`${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}`;
}

/**
 * A `method="post"` form carrying the CSRF token (plus any other hidden fields) ahead of `content`.
 * Plain HTML: it works with JavaScript off.
 */
export function postForm(options: {
  action: string;
  csrfToken: string;
  hiddenFields?: Record<string, string>;
  content: HtmlValue;
  /** `data-*` attributes for a script that drives the form (`{ pow: '' }` → `data-pow=""`). */
  data?: Record<string, string>;
}): SafeHtml {
  const hidden = { ...options.hiddenFields, [CSRF_FIELD]: options.csrfToken };
  const data = Object.entries(options.data ?? {}).map(([name, value]) => html` data-${trustedName(name)}="${value}"`);
  return html`<form method="post" action="${options.action}"${data}>${hiddenInputs(hidden)}${options.content}</form>`;
}

/** A `data-*` attribute name chosen by our code, checked so that it can go into markup as it is. */
function trustedName(name: string): SafeHtml {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new TypeError(`not a data attribute name: ${name}`);
  return trustedHtml(name);
}

/**
 * A labelled text, email or password input; the label is tied to the input by `for`/`id`. A hint
 * between label and input, when given, is tied to it with `aria-describedby`, as is `describedBy`.
 * Required unless `optional` (then the label says so, in `i18n`'s language: English by default).
 */
export function textField(options: {
  id: string;
  name: string;
  /** Text (escaped) or a message (`i18n.t(…)`). */
  label: HtmlValue;
  type: 'text' | 'password' | 'email';
  autocomplete: string;
  value?: string;
  autofocus?: boolean;
  invalid?: boolean;
  describedBy?: string;
  hint?: string;
  /** The shortest value the browser lets through (a new password's length rule). */
  minLength?: number;
  optional?: boolean;
  maxLength?: number;
  /** `false`: a name or other free text, typed as people write it (capitals, spell-checked). */
  verbatim?: boolean;
  /** The page's language, for "(optional)"; English when not given. */
  i18n?: Translator;
}): SafeHtml {
  const o = options;
  const i18n = o.i18n ?? englishMessages();
  const hintId = o.hint !== undefined ? `${o.id}-hint` : undefined;
  const describedBy = [hintId, o.describedBy].filter(Boolean).join(' ');
  const verbatim = o.type !== 'password' && o.verbatim !== false;
  return html`<div class="field"><label for="${o.id}">${o.label}${o.optional && html` <span class="optional">${i18n.t('form.optional')}</span>`}</label>${hintId !== undefined && html`<p class="hint" id="${hintId}">${o.hint}</p>`}<input class="input" id="${o.id}" name="${o.name}" type="${o.type}" autocomplete="${o.autocomplete}"${verbatim && html` autocapitalize="none" spellcheck="false"`}${o.value !== undefined && html` value="${o.value}"`}${o.minLength !== undefined && html` minlength="${String(o.minLength)}"`}${o.maxLength !== undefined && html` maxlength="${String(o.maxLength)}"`}${!o.optional && html` required`}${o.autofocus && html` autofocus`}${o.invalid && html` aria-invalid="true"`}${describedBy !== '' && html` aria-describedby="${describedBy}"`}></div>`;
}

/**
 * The length rule of a new password, and how to make a strong one: the hint of every
 * {@link newPasswordField}. Its second sentence is the password policy's advice, word for word.
 */
export function newPasswordHint(minLength: number, i18n: Translator = englishMessages()): string {
  return i18n.text('form.newPasswordHint', { min: minLength });
}

/**
 * The one field where a user chooses a password (sign-up, reset, invitation, the account page):
 * `type="password"`, `autocomplete="new-password"`, `minlength` and {@link newPasswordHint} between
 * label and input, tied to it with `aria-describedby` (then `describedBy`, such as the alert). The
 * browser counts `minlength` in UTF-16 units, never fewer than the policy's code points: it never
 * stops a password the server would take.
 *
 * @example
 * newPasswordField({ id: 'password', name: 'password', label: i18n.t('signUp.password'), minLength: 8, i18n })
 */
export function newPasswordField(options: {
  id: string;
  name: string;
  label: HtmlValue;
  minLength: number;
  autofocus?: boolean;
  invalid?: boolean;
  describedBy?: string;
  /** The page's language, for the hint; English when not given. */
  i18n?: Translator;
}): SafeHtml {
  return textField({ ...options, type: 'password', autocomplete: 'new-password', hint: newPasswordHint(options.minLength, options.i18n) });
}

/**
 * A form that sends a proof of work (see /assets/pow.js) when `pow` is given: the form is marked
 * `data-pow` (the challenge URL) and `data-pow-status`, carries an empty hidden `pow` that the
 * script fills in, and ends with the live status line ("Checking your browser…") and, for browsers
 * without JavaScript, a note that the form needs it. Without `pow`, a plain {@link postForm}.
 * The script tag itself is the page's: see {@link powScript}. `i18n`: the page's language (English when not given).
 */
export function powForm(options: Parameters<typeof postForm>[0] & { pow: FormProofOfWork | undefined; i18n?: Translator }): SafeHtml {
  const { pow, i18n = englishMessages(), ...form } = options;
  if (pow === undefined) return postForm(form);
  return postForm({
    ...form,
    hiddenFields: { ...form.hiddenFields, pow: '' },
    data: { ...form.data, pow: pow.challengeUrl, 'pow-status': POW_STATUS_ID, ...powStatusWords(i18n) },
    content: [
      form.content,
      html`<p class="pow-status" id="${POW_STATUS_ID}" role="status" aria-live="polite"></p><noscript><p class="note center">${i18n.t('form.powNoscript')}</p></noscript>`,
    ],
  });
}

/** What the script writes in the status line, in the page's language (`data-pow-checking`, `data-pow-done`). */
function powStatusWords(i18n: Translator): Record<string, string> {
  return { 'pow-checking': i18n.text('form.powChecking'), 'pow-done': i18n.text('form.powDone') };
}

/** The proof of work a form asks for: where its script fetches the challenge, and the script. */
export interface FormProofOfWork {
  challengeUrl: string;
  scriptUrl: string;
}

const POW_STATUS_ID = 'pow-status';

/** The script that solves the proof of work of a {@link powForm}, with the page's nonce; nothing without `pow`. */
export function powScript(pow: FormProofOfWork | undefined, nonce: string): SafeHtml | false {
  return pow !== undefined && html`<script src="${pow.scriptUrl}" nonce="${nonce}" defer></script>`;
}

/** A submit button; `name`/`value` tell the server which of several buttons was pressed. */
export function submitButton(options: { label: HtmlValue; variant: 'primary' | 'secondary'; name?: string; value?: string; className?: string }): SafeHtml {
  const o = options;
  const classes = ['button', `button-${o.variant}`, o.className].filter(Boolean).join(' ');
  return html`<button type="submit" class="${classes}"${o.name !== undefined && html` name="${o.name}" value="${o.value ?? ''}"`}>${o.label}</button>`;
}

/**
 * A decline and a confirm button side by side, both submitting `name`: decline first, so reading,
 * tab and visual order agree, with the confirming (primary) action last, at the end (the right, or
 * the left in a right-to-left language).
 */
export function decisionButtons(name: string, decline: { value: string; label: HtmlValue }, confirm: { value: string; label: HtmlValue }): SafeHtml {
  return html`<div class="actions">${submitButton({ ...decline, name, variant: 'secondary' })}${submitButton({ ...confirm, name, variant: 'primary' })}</div>`;
}
