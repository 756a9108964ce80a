/**
 * HTML escaping for the server-rendered pages.
 *
 * Pages are built with the {@link html} tag, which escapes every interpolated value unless it is
 * already {@link SafeHtml}. Markup is therefore safe by construction: forgetting to escape is not
 * possible, only opting out loudly with {@link trustedHtml}.
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escape text for use in HTML element content or in a quoted attribute value.
 *
 * @example
 * escapeHtml('" onmouseover="x'); // '&quot; onmouseover=&quot;x'
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

/** A fragment of markup that is already safe to emit as is. Create it with {@link html}. */
export class SafeHtml {
  /** @internal Use {@link html} or {@link trustedHtml}. */
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

/** What may be interpolated into {@link html}: text is escaped, fragments pass through, nothing renders as empty. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  // `false` lets templates write `${condition && html`…`}`.
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * Tagged template that escapes every interpolation (see {@link HtmlValue}). Attribute values must
 * still be written inside double quotes in the template.
 *
 * @example
 * html`<p title="${title}">${name}</p>`;
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/**
 * Mark a string as safe markup without escaping it. Only for text the module itself produced from
 * validated input, such as the stylesheet built from a checked colour.
 */
export function trustedHtml(value: string): SafeHtml {
  return new SafeHtml(value);
}
