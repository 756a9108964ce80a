import { importOptional } from '../../core/optional-dependency.js';
import { escapeHtml, html, SafeHtml, type HtmlValue } from '../escape.js';
import { ar } from './catalogs/ar.js';
import { de } from './catalogs/de.js';
import { en, type Catalog, type MessageKey } from './catalogs/en.js';
import { es } from './catalogs/es.js';
import { fr } from './catalogs/fr.js';
import { ja } from './catalogs/ja.js';
import { ptBR } from './catalogs/pt-BR.js';
import { directionOf, SOURCE_LOCALE } from './locales.js';

const { IntlMessageFormat } = await importOptional('intl-messageformat', () => import('intl-messageformat'), 'gatehouse/server (the pages’ messages)');

export type { Catalog, MessageKey } from './catalogs/en.js';

/** The built-in catalogs, by BCP 47 tag. */
export const BUILT_IN_CATALOGS: Readonly<Record<string, Catalog>> = { en, de, fr, es, 'pt-BR': ptBR, ja, ar };

/**
 * What a message may be given: text and numbers (escaped on output, and formatted for the language
 * by `{n, number}` and plurals), dates (`{d, date, medium}`), markup already built with `html`
 * (emitted as it is), and for a tag of the message (`<link>…</link>`) a function of its content.
 */
export type MessageValue = string | number | Date | SafeHtml | ((content: HtmlValue[]) => SafeHtml);

/**
 * Tags every message may use without the page supplying them. Any other tag must be given as a
 * function value; a message using a tag English does not have is refused at start.
 */
const DEFAULT_TAGS: Record<string, (content: HtmlValue[]) => SafeHtml> = {
  strong: (content) => html`<strong>${content}</strong>`,
  code: (content) => html`<code>${content}</code>`,
};

/**
 * The pages' messages in one language: `t(key, values)` and the language's date formats. Passed
 * explicitly to every page function (in `PageBase.i18n`); built by {@link Messages.translator}.
 *
 * @example
 * html`<h1>${i18n.t('login.title')}</h1>`;
 * i18n.t('login.continueWith', { provider: 'GitHub' }); // 'Weiter mit GitHub' in German, escaped
 */
export interface Translator {
  /** The BCP 47 tag of the language (`<html lang>`). */
  readonly locale: string;
  /** Writing direction (`<html dir>`). */
  readonly dir: 'ltr' | 'rtl';
  /** Every language the installation offers, with its own name, for the language switcher. */
  readonly languages: readonly { locale: string; name: string }[];
  /**
   * The message `key`, formatted with `values`, as markup: the message's text and every text value
   * HTML-escaped, `SafeHtml` values and tags as built by the page.
   */
  readonly t: (key: MessageKey, values?: Record<string, MessageValue>) => SafeHtml;
  /**
   * The message `key` as plain text, for text that is escaped where it lands (an `html` template,
   * an attribute, a plain-text email). Tags keep only their content.
   */
  readonly text: (key: MessageKey, values?: Record<string, string | number | Date>) => string;
  /** Items joined as the language joins a list ("a, b and c"; "a、b、c"), each escaped unless markup. */
  readonly list: (items: readonly HtmlValue[]) => SafeHtml;
  /** A date and time in the language's medium style, in `timeZone` (UTC unless given). */
  readonly dateTime: (date: Date | number, timeZone?: string) => string;
  /** A date in the language's medium style, in `timeZone` (UTC unless given). */
  readonly date: (date: Date | number, timeZone?: string) => string;
  /** A number as the language writes it: `1,205` in English, `1.205` in German. */
  readonly number: (value: number) => string;
}

type Compiled = InstanceType<typeof IntlMessageFormat>;

/**
 * The installation's messages: the built-in catalogs with the operator's overrides and added
 * languages merged in (`src/server/languages/catalogs.ts` reads them). Each message is compiled
 * once, the first time it is shown, and kept: starting a process does not pay for thousands of
 * messages it may never show. The operator's messages are compiled at once, so that an invalid one
 * throws at start, never on a page (the built-in ones are checked by `catalogs.test.ts`). Build it
 * with {@link compileMessages}.
 */
export class Messages {
  /** The offered languages, in the order the switcher lists them. */
  readonly locales: readonly string[];
  readonly #catalogs: Readonly<Record<string, Catalog>>;
  readonly #compiled = new Map<string, Map<MessageKey, Compiled>>();
  readonly #translators = new Map<string, Translator>();
  readonly #languages: readonly { locale: string; name: string }[];

  /** @internal Use {@link compileMessages}. */
  constructor(catalogs: Readonly<Record<string, Catalog>>, checkNow: Readonly<Record<string, Partial<Catalog>>> = {}) {
    this.locales = Object.keys(catalogs);
    this.#catalogs = catalogs;
    for (const locale of this.locales) this.#compiled.set(locale, new Map());
    for (const [locale, messages] of Object.entries(checkNow)) {
      for (const key of Object.keys(messages) as MessageKey[]) this.#message(locale, key);
    }
    this.#languages = this.locales.map((locale) => ({ locale, name: catalogs[locale]!['language.name'] }));
  }

  /** The translator of `locale`, one of {@link locales} (English for any other). */
  translator(locale: string): Translator {
    const known = this.#compiled.has(locale) ? locale : SOURCE_LOCALE;
    let translator = this.#translators.get(known);
    if (!translator) {
      translator = this.#build(known);
      this.#translators.set(known, translator);
    }
    return translator;
  }

  /** The compiled message `key` of `locale`, compiled now if it was not yet. */
  #message(locale: string, key: MessageKey): Compiled {
    const compiled = this.#compiled.get(locale)!;
    let message = compiled.get(key);
    if (!message) {
      message = compileMessage(this.#catalogs[locale]![key], locale, key);
      compiled.set(key, message);
    }
    return message;
  }

  #build(locale: string): Translator {
    const listFormat = new Intl.ListFormat(locale, { type: 'conjunction', style: 'long' });
    const numberFormat = new Intl.NumberFormat(locale);
    const dateFormats = new Map<string, Intl.DateTimeFormat>();
    const format = (kind: 'date' | 'dateTime', date: Date | number, timeZone = 'UTC') => {
      const id = `${kind} ${timeZone}`;
      let formatter = dateFormats.get(id);
      if (!formatter) {
        formatter = new Intl.DateTimeFormat(
          locale,
          kind === 'date' ? { dateStyle: 'medium', timeZone } : { dateStyle: 'medium', timeStyle: 'short', timeZone },
        );
        dateFormats.set(id, formatter);
      }
      return formatter.format(date);
    };
    return {
      locale,
      dir: directionOf(locale),
      languages: this.#languages,
      t: (key, values) => formatMarkup(this.#message(locale, key), values),
      text: (key, values) => formatText(this.#message(locale, key), values),
      list: (items) => {
        // Each item stands in as its index; the list's own words and punctuation come back as literals.
        let next = 0;
        const parts = listFormat.formatToParts(items.map((_, index) => String(index)));
        return html`${parts.map((part) => (part.type === 'element' ? items[next++] : part.value))}`;
      },
      dateTime: (date, timeZone) => format('dateTime', date, timeZone),
      date: (date, timeZone) => format('date', date, timeZone),
      number: (value) => numberFormat.format(value),
    };
  }
}

/** Compiles one message; an ICU syntax error names the language and key. */
function compileMessage(message: string, locale: string, key: string): Compiled {
  try {
    return new IntlMessageFormat(message, locale, undefined, { ignoreTag: false });
  } catch (error) {
    throw new SyntaxError(`message ${key} (${locale}) is not valid ICU MessageFormat: ${(error as Error).message}`, { cause: error });
  }
}

/** Formats to markup: literal text (the message's and text values') escaped, markup values and tags as they are. */
function formatMarkup(message: Compiled, values: Record<string, MessageValue> = {}): SafeHtml {
  const parts = message.formatToParts<SafeHtml>({ ...DEFAULT_TAGS, ...values });
  return new SafeHtml(parts.map((part) => (part.value instanceof SafeHtml ? part.value.value : escapeHtml(part.value))).join(''));
}

/** Formats to plain text: tags reduced to their content. */
function formatText(message: Compiled, values: Record<string, string | number | Date> = {}): string {
  const tags = namesIn(message.getAst())
    .filter((name) => name.startsWith('<'))
    .map((name) => [name.slice(1, -1), (content: unknown[]) => content.join('')]);
  return message
    .formatToParts<string>({ ...(Object.fromEntries(tags) as Record<string, (content: string[]) => string>), ...values })
    .map((part) => part.value)
    .join('');
}

/** The arguments (`{name}`) and tags (`<name>`) of a parsed message, sorted. */
function namesIn(ast: readonly unknown[]): string[] {
  const names = new Set<string>();
  const walk = (elements: readonly unknown[]) => {
    for (const element of elements as { type: number; value?: unknown; options?: Record<string, { value: unknown[] }>; children?: unknown[] }[]) {
      // @formatjs/icu-messageformat-parser TYPE: 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural, 8 tag.
      if (element.type >= 1 && element.type <= 6) names.add(`{${String(element.value)}}`);
      if (element.type === 8) names.add(`<${String(element.value)}>`);
      for (const option of Object.values(element.options ?? {})) walk(option.value);
      if (element.children) walk(element.children);
    }
  };
  walk(ast);
  return [...names].sort();
}

/**
 * The names a message uses: its arguments (`{name}`, plural and select variables) and its tags
 * (`<link>`), sorted. Two translations of a key must use the same ones.
 *
 * @throws {Error} when the message is not valid ICU MessageFormat.
 */
export function placeholdersOf(message: string, locale = SOURCE_LOCALE): string[] {
  return namesIn(new IntlMessageFormat(message, locale).getAst());
}

let builtIn: Messages | undefined;

/**
 * The installation's messages: the built-in catalogs, with `overrides` (by language, by key)
 * replacing messages and adding languages. Every message is compiled here, once.
 *
 * @throws {SyntaxError} naming the key and language of a message that is not valid ICU MessageFormat.
 */
export function compileMessages(overrides: Readonly<Record<string, Partial<Catalog>>> = {}): Messages {
  if (Object.keys(overrides).length === 0) return (builtIn ??= new Messages(BUILT_IN_CATALOGS));
  const catalogs: Record<string, Catalog> = { ...BUILT_IN_CATALOGS };
  for (const [locale, messages] of Object.entries(overrides)) {
    // An added language starts from English: whatever it leaves out stays readable.
    catalogs[locale] = { ...(BUILT_IN_CATALOGS[locale] ?? en), ...messages };
  }
  return new Messages(catalogs, overrides);
}

/** English with the built-in messages: for pages not yet translated, and tests. */
export function englishMessages(): Translator {
  return compileMessages().translator(SOURCE_LOCALE);
}
