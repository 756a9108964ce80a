import { describe, expect, it } from 'vitest';
import { parseUiLocales } from './page-language.js';

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
