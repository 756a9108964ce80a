import { canonicalLocale } from './locales.js';

/** What the language of a page is chosen from, strongest first. */
export interface LanguageChoice {
  /** OIDC `ui_locales` (Core §3.1.2.1): the end-user's preferred languages, most preferred first. */
  uiLocales?: readonly string[];
  /** The language the user picked with the switcher (its cookie). */
  remembered?: string | undefined;
  /** The `Accept-Language` request header (RFC 9110 §12.5.4). */
  acceptLanguage?: string | null | undefined;
}

/** More entries than any browser sends: the rest of an overlong header is ignored. */
const MAX_RANGES = 32;

/**
 * The language of a page: the first of `ui_locales` that the installation offers, else the
 * remembered choice (when still offered), else the best of `Accept-Language`, else `fallback`.
 * Each preference is matched by RFC 4647 §3.4 lookup (`de-CH` → `de`; case-insensitive), then, so
 * that a Portuguese speaker is not sent to English for want of a region, by its primary language
 * alone (`pt` or `pt-PT` → `pt-BR` when that is the only Portuguese offered). A tag the user gave
 * `q=0` is never chosen from `Accept-Language`.
 *
 * @param supported - The offered languages, canonical BCP 47 tags (`pt-BR`).
 * @example
 * chooseLocale({ acceptLanguage: 'fr-CA, en;q=0.8' }, ['en', 'fr'], 'en'); // 'fr'
 */
export function chooseLocale(choice: LanguageChoice, supported: readonly string[], fallback: string): string {
  for (const tag of choice.uiLocales ?? []) {
    const found = lookup(tag, supported);
    if (found) return found;
  }
  if (choice.remembered !== undefined) {
    const remembered = supported.find((locale) => locale.toLowerCase() === choice.remembered!.toLowerCase());
    if (remembered) return remembered;
  }
  const { ranges, refused } = parseAcceptLanguage(choice.acceptLanguage ?? '');
  const acceptable = supported.filter((locale) => !refused.has(locale.toLowerCase()));
  for (const range of ranges) {
    const found = lookup(range, acceptable);
    if (found) return found;
  }
  return fallback;
}

/** RFC 4647 §3.4 lookup of one preference (truncating subtags from the end), then by primary language. */
function lookup(tag: string, supported: readonly string[]): string | undefined {
  const canonical = canonicalLocale(tag);
  if (canonical === undefined) return undefined;
  const byLower = new Map(supported.map((locale) => [locale.toLowerCase(), locale]));
  const subtags = canonical.toLowerCase().split('-');
  for (let length = subtags.length; length > 0; length -= 1) {
    // §3.4: a single-letter subtag (an extension or private use) is dropped with what follows it.
    if (subtags[length - 1]!.length === 1) continue;
    const found = byLower.get(subtags.slice(0, length).join('-'));
    if (found) return found;
  }
  const language = subtags[0]!;
  return supported.find((locale) => locale.toLowerCase().split('-')[0] === language);
}

/**
 * The language ranges of an `Accept-Language` header, by descending weight (stable: equal weights
 * keep the header's order), without `*` and malformed entries; and the tags refused with `q=0`.
 */
export function parseAcceptLanguage(header: string): { ranges: string[]; refused: Set<string> } {
  const entries: { range: string; q: number; index: number }[] = [];
  const refused = new Set<string>();
  header
    .split(',')
    .slice(0, MAX_RANGES)
    .forEach((entry, index) => {
      const [rawRange = '', ...params] = entry.split(';').map((part) => part.trim());
      const range = rawRange.toLowerCase();
      if (range === '*' || canonicalLocale(range) === undefined) return;
      let q = 1;
      for (const param of params) {
        const match = /^q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i.exec(param);
        if (match) q = Number(match[1]);
        else if (/^q\s*=/i.test(param)) q = Number.NaN;
      }
      if (Number.isNaN(q)) return;
      if (q === 0) refused.add(canonicalLocale(range)!.toLowerCase());
      else entries.push({ range, q, index });
    });
  entries.sort((a, b) => b.q - a.q || a.index - b.index);
  return { ranges: entries.map((entry) => entry.range), refused };
}
