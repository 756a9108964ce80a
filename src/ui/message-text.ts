import type { MessageKey, Translator } from './i18n/messages.js';

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
