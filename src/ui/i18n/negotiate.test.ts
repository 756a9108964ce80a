import { describe, expect, it } from 'vitest';
import { chooseLocale, parseAcceptLanguage } from './index.js';

const OFFERED = ['en', 'de', 'fr', 'es', 'pt-BR', 'ja', 'ar'];

describe('chooseLocale: ui_locales, then the remembered choice, then Accept-Language, then the default', () => {
  it.each<[string, Parameters<typeof chooseLocale>[0], string]>([
    ['nothing: the default', {}, 'en'],
    ['ui_locales beats the cookie and Accept-Language', { uiLocales: ['de'], remembered: 'ja', acceptLanguage: 'fr' }, 'de'],
    ['the first offered of ui_locales, in order', { uiLocales: ['tlh', 'fr-CA', 'de'] }, 'fr'],
    ['ui_locales none offered: the cookie', { uiLocales: ['tlh'], remembered: 'ja', acceptLanguage: 'fr' }, 'ja'],
    ['the cookie beats Accept-Language', { remembered: 'ja', acceptLanguage: 'fr' }, 'ja'],
    ['a cookie no longer offered is ignored', { remembered: 'nl', acceptLanguage: 'fr' }, 'fr'],
    ['Accept-Language beats the default', { acceptLanguage: 'es' }, 'es'],
    ['Accept-Language by weight, not order', { acceptLanguage: 'fr;q=0.5, ja;q=0.8, de;q=0.7' }, 'ja'],
    ['equal weights keep the header order', { acceptLanguage: 'de, fr' }, 'de'],
    ['region fallback (RFC 4647 lookup): de-AT → de', { acceptLanguage: 'de-AT' }, 'de'],
    ['case-insensitive, canonical answer: PT-br → pt-BR', { acceptLanguage: 'PT-br' }, 'pt-BR'],
    ['the language alone reaches its only region: pt → pt-BR', { acceptLanguage: 'pt' }, 'pt-BR'],
    ['and another region of it: pt-PT → pt-BR', { acceptLanguage: 'pt-PT, en;q=0.1' }, 'pt-BR'],
    ['extensions and private use are dropped: ja-JP-u-ca-japanese → ja', { acceptLanguage: 'ja-JP-u-ca-japanese' }, 'ja'],
    ['script subtags: ar-Arab-EG → ar', { uiLocales: ['ar-Arab-EG'] }, 'ar'],
    ['q=0 means not acceptable', { acceptLanguage: 'de;q=0, fr;q=0.1' }, 'fr'],
    ['q=0 on the only one: the default', { acceptLanguage: 'fr;q=0' }, 'en'],
    ['unsupported tags fall through to the default', { acceptLanguage: 'tlh, x-klingon' }, 'en'],
    ['* is no preference', { acceptLanguage: '*' }, 'en'],
    ['malformed entries are skipped', { acceptLanguage: 'de;q=2, <script>, fr;q=abc, es;q=0.3' }, 'es'],
    ['an empty header', { acceptLanguage: '' }, 'en'],
  ])('%s', (_name, choice, expected) => {
    expect(chooseLocale(choice, OFFERED, 'en')).toBe(expected);
  });

  it('falls back to the installation default, whatever it is', () => {
    expect(chooseLocale({ acceptLanguage: 'tlh' }, OFFERED, 'de')).toBe('de');
  });

  it('reads at most 32 entries of an overlong header', () => {
    // 40 well-formed three-letter languages nobody offers (qaa…qbn: ISO 639 private use), then one that is.
    const header = [
      ...Array.from({ length: 40 }, (_, i) => `q${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}`),
      'ja',
    ].join(',');
    expect(parseAcceptLanguage(header).ranges).toHaveLength(32);
    expect(chooseLocale({ acceptLanguage: header }, OFFERED, 'en')).toBe('en');
  });
});
