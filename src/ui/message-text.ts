import type { MessageKey, Translator } from './i18n/messages.js';
import { html, type SafeHtml } from './escape.js';

/**
 * A message a server hands a page: a catalog message (`{ key, values }`, shown in the page's
 * language; a `Date` value as the language writes a date and time, in UTC), or text already in
 * the page's language.
 */
export type MessageText = string | { key: MessageKey; values?: Record<string, string | number | Date> };

/** {@link MessageText} as plain text in the language of `i18n` (escaped where it lands). */
export function messageText(i18n: Translator, message: MessageText | undefined): string | undefined {
  if (message === undefined || typeof message === 'string') return message;
  const values = Object.fromEntries(Object.entries(message.values ?? {}).map(([name, value]) => [name, value instanceof Date ? i18n.dateTime(value) : value]));
  return i18n.text(message.key, values);
}

/**
 * Words no catalog holds: a protocol error's description, which RFC 6749 §5.2 writes for the
 * application's developer (in English), quoted on an error page as its details. Marked as English
 * and isolated (`<bdi dir="ltr">`), so a screen reader reads it as English and a right-to-left
 * sentence keeps it in order.
 *
 * @example
 * errorPage(ctx, 400, { key: 'error.invalidRequest.title' }, { key: 'error.invalidRequest.message', values: { detail: englishDetail(error.message) } });
 */
export function englishDetail(text: string): SafeHtml {
  return html`<bdi lang="en" dir="ltr">${text}</bdi>`;
}
