import { describe, expect, it } from 'vitest';
import { compileMessages } from '../../ui/i18n/index.js';
import { messageLanguage, parseUiLocales, type MessageReader } from './page-language.js';

/** A context offering the built-in languages, with `fallback` as `languages.default`, and a request's language hints. */
function context(fallback: string, request?: { accept?: string; remembered?: string }) {
  return {
    config: { languages: { messages: compileMessages(), default: fallback } } as never,
    ...(request ? { request: { languages: { accept: request.accept ?? null, remembered: request.remembered } } } : {}),
  };
}

describe('messageLanguage: the language of an email or a text message', () => {
  it.each<[what: string, ctx: ReturnType<typeof context>, reader: MessageReader | undefined, expected: string]>([
    ['an answer to a request: its Accept-Language', context('en', { accept: 'de-AT, en;q=0.5' }), undefined, 'de'],
    ['an answer to a request: the switcher’s choice before Accept-Language', context('en', { accept: 'de', remembered: 'fr' }), {}, 'fr'],
    ['an answer inside a sign-in: its ui_locales first', context('en', { accept: 'de', remembered: 'fr' }), { uiLocales: ['ja-JP', 'de'] }, 'ja'],
    ['an answer with nothing to go by: the default', context('es'), {}, 'es'],
    ['an account with a locale claim the installation offers', context('en', { accept: 'de' }), { account: { locale: 'ar-EG' } }, 'ar'],
    ['an account’s claim matched like a page’s preference (pt → pt-BR)', context('en'), { account: { locale: 'pt' } }, 'pt-BR'],
    ['an account whose claim is not offered: the default, not the request’s language', context('fr', { accept: 'de' }), { account: { locale: 'nl-BE' } }, 'fr'],
    ['an account without a claim (an invitation): the default', context('ja', { accept: 'de' }), { account: {} }, 'ja'],
    [
      'a notice to the owner who made this request, no claim: the request’s language',
      context('en', { accept: 'de' }),
      { account: {}, atThisRequest: true },
      'de',
    ],
    [
      'a notice to the owner who made this request: the claim still first',
      context('en', { accept: 'de' }),
      { account: { locale: 'fr' }, atThisRequest: true },
      'fr',
    ],
    [
      'a notice to the owner, a claim not offered: the request’s language',
      context('en', { accept: 'ja' }),
      { account: { locale: 'nl' }, atThisRequest: true },
      'ja',
    ],
  ])('%s', (_, ctx, reader, expected) => {
    const i18n = messageLanguage(ctx, reader);
    expect(i18n.locale).toBe(expected);
    expect(i18n.dir).toBe(expected === 'ar' ? 'rtl' : 'ltr');
  });
});

describe('parseUiLocales', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['ja', ['ja']],
    ['ja  de-CH en', ['ja', 'de-CH', 'en']],
  ])('%j is %j', (value, expected) => {
    expect(parseUiLocales(value)).toEqual(expected);
  });

  it('reads only the first 200 characters of an overlong value, so what is kept stays small', () => {
    const parsed = parseUiLocales(`${'x-abcdefg '.repeat(100)}ja`);
    expect(parsed.join(' ').length).toBeLessThanOrEqual(200);
    expect(parsed).not.toContain('ja');
  });
});
