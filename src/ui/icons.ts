import { html, type SafeHtml } from './escape.js';

// Decorative only: every icon sits next to text that says the same, so it is hidden from assistive technology.
function icon(path: string): SafeHtml {
  return html`<svg class="icon" viewBox="0 0 20 20" fill="currentColor" aria-hidden="true" focusable="false"><path fill-rule="evenodd" clip-rule="evenodd" d="${path}"/></svg>`;
}

/** A check mark in a circle, for granted permissions. */
export const CHECK_ICON = icon('M10 18a8 8 0 1 0 0-16 8 8 0 0 0 0 16Zm3.7-9.3a1 1 0 0 0-1.4-1.4L9 10.58 7.7 9.3a1 1 0 0 0-1.4 1.4l2 2a1 1 0 0 0 1.4 0l4-4Z');

/** An exclamation mark in a circle, for error messages. */
export const ALERT_ICON = icon(
  'M18 10a8 8 0 1 1-16 0 8 8 0 0 1 16 0Zm-8-4.5a1 1 0 0 1 1 1v3.75a1 1 0 1 1-2 0V6.5a1 1 0 0 1 1-1ZM10 15a1.1 1.1 0 1 0 0-2.2 1.1 1.1 0 0 0 0 2.2Z',
);

/** A person with a plus sign, for choosing a different account. */
export const ADD_PERSON_ICON = icon(
  'M8 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6Zm-6 7c0-2.76 2.69-5 6-5s6 2.24 6 5a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1Zm14-9a1 1 0 0 1 1 1v1h1a1 1 0 1 1 0 2h-1v1a1 1 0 1 1-2 0v-1h-1a1 1 0 1 1 0-2h1V8a1 1 0 0 1 1-1Z',
);
