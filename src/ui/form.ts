import { html, type HtmlValue, type SafeHtml } from './escape.js';

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
export function postForm(options: { action: string; csrfToken: string; hiddenFields?: Record<string, string>; content: HtmlValue }): SafeHtml {
  const hidden = { ...options.hiddenFields, [CSRF_FIELD]: options.csrfToken };
  return html`<form method="post" action="${options.action}">${hiddenInputs(hidden)}${options.content}</form>`;
}

/** A labelled text or password input; the label is tied to the input by `for`/`id`. */
export function textField(options: {
  id: string;
  name: string;
  label: string;
  type: 'text' | 'password';
  autocomplete: string;
  value?: string;
  autofocus?: boolean;
  invalid?: boolean;
  describedBy?: string;
  /** Leaves `required` off (a field people may skip). */
  optional?: boolean;
}): SafeHtml {
  const o = options;
  return html`<div class="field"><label for="${o.id}">${o.label}</label><input class="input" id="${o.id}" name="${o.name}" type="${o.type}" autocomplete="${o.autocomplete}"${o.type === 'text' && html` autocapitalize="none" spellcheck="false"`}${o.value !== undefined && html` value="${o.value}"`}${!o.optional && html` required`}${o.autofocus && html` autofocus`}${o.invalid && html` aria-invalid="true"`}${o.describedBy !== undefined && html` aria-describedby="${o.describedBy}"`}></div>`;
}

/** A submit button; `name`/`value` tell the server which of several buttons was pressed. */
export function submitButton(options: { label: string; variant: 'primary' | 'secondary'; name?: string; value?: string; className?: string }): SafeHtml {
  const o = options;
  const classes = ['button', `button-${o.variant}`, o.className].filter(Boolean).join(' ');
  return html`<button type="submit" class="${classes}"${o.name !== undefined && html` name="${o.name}" value="${o.value ?? ''}"`}>${o.label}</button>`;
}

/**
 * A decline and a confirm button side by side, both submitting `name`: decline first, so reading,
 * tab and visual order agree, with the confirming (primary) action last, at the right.
 */
export function decisionButtons(name: string, decline: { value: string; label: string }, confirm: { value: string; label: string }): SafeHtml {
  return html`<div class="actions">${submitButton({ ...decline, name, variant: 'secondary' })}${submitButton({ ...confirm, name, variant: 'primary' })}</div>`;
}
