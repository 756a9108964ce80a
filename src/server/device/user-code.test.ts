import { describe, expect, it } from 'vitest';
import { formatUserCode, newUserCode, normalizeUserCode, USER_CODE_ALPHABET, USER_CODE_LENGTH } from './user-code.js';

describe('user codes (RFC 8628 §6.1)', () => {
  it('are 8 characters of the 20-consonant alphabet, every character of it in use', () => {
    const seen = new Set<string>();
    for (let index = 0; index < 500; index += 1) {
      const code = newUserCode();
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      for (const character of code) seen.add(character);
    }
    expect(seen.size).toBe(USER_CODE_ALPHABET.length);
    expect(USER_CODE_ALPHABET).toHaveLength(20);
    expect(USER_CODE_LENGTH).toBe(8);
  });

  it('are shown in two groups of four', () => {
    expect(formatUserCode('BDWPHQPK')).toBe('BDWP-HQPK');
  });

  it.each([
    ['BDWP-HQPK', 'BDWPHQPK'],
    ['bdwp-hqpk', 'BDWPHQPK'],
    ['bdwphqpk', 'BDWPHQPK'],
    [' BDWP HQPK ', 'BDWPHQPK'],
    ['BD-WP--HQ PK', 'BDWPHQPK'],
    ['BDWP\tHQPK', 'BDWPHQPK'],
  ])('entry %j is read as %s (case and dashes and spaces do not matter)', (typed, stored) => {
    expect(normalizeUserCode(typed)).toBe(stored);
  });

  it.each([
    ['', 'empty'],
    ['BDWP-HQP', 'too short'],
    ['BDWP-HQPKB', 'too long'],
    ['BDWP-HQPA', 'a vowel'],
    ['BDWP-HQP0', 'a digit'],
    ['BDWP_HQPK', 'other punctuation'],
    ['BDWPHQPK'.padEnd(100, ' '), 'longer than any code typed'],
    ['ВDWPHQPK', 'a Cyrillic look-alike'],
  ])('%j is no code (%s)', (typed) => {
    expect(normalizeUserCode(typed)).toBeUndefined();
  });
});
