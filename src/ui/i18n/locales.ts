/**
 * The languages Gatehouse ships, and what a page needs to know of a language besides its messages:
 * its writing direction.
 */

/** The language every catalog is checked against, and the last resort of {@link chooseLocale}. */
export const SOURCE_LOCALE = 'en';

/** Scripts written right to left (ISO 15924): Arabic, Hebrew, Thaana, Syriac, N'Ko, Adlam, Hanifi Rohingya, Samaritan, Mandaic. */
const RTL_SCRIPTS = new Set(['Arab', 'Hebr', 'Thaa', 'Syrc', 'Nkoo', 'Adlm', 'Rohg', 'Samr', 'Mand']);

/**
 * `rtl` for a language written right to left, from its likely script (`ar` → `Arab`, `ur` → `Arab`,
 * `he` → `Hebr`; an explicit script subtag wins: `az-Arab` is `rtl`, `ku-Latn` is not). The `dir`
 * of `<html>`.
 *
 * @example
 * directionOf('ar'); // 'rtl'
 * directionOf('pt-BR'); // 'ltr'
 */
export function directionOf(locale: string): 'ltr' | 'rtl' {
  try {
    const script = new Intl.Locale(locale).maximize().script;
    return script !== undefined && RTL_SCRIPTS.has(script) ? 'rtl' : 'ltr';
  } catch {
    return 'ltr';
  }
}

/** The canonical spelling of a BCP 47 tag (`pt-br` → `pt-BR`), or `undefined` when it is not one. */
export function canonicalLocale(tag: string): string | undefined {
  if (!/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/.test(tag)) return undefined;
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}
