import { randomInt } from 'node:crypto';

/**
 * The user-code alphabet of RFC 8628 §6.1: 20 consonants, upper case, without vowels (no words
 * spelled by accident) and without the letters easily mistaken for digits or for each other.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
/** Characters of a user code: 20^8 ≈ 2^34.6 codes (RFC 8628 §6.1's example: 8 characters of this alphabet). */
export const USER_CODE_LENGTH = 8;

/** A new user code, each character drawn uniformly from the CSPRNG (`randomInt` does not bias). */
export function newUserCode(): string {
  let code = '';
  for (let index = 0; index < USER_CODE_LENGTH; index += 1) code += USER_CODE_ALPHABET.charAt(randomInt(USER_CODE_ALPHABET.length));
  return code;
}

/** A user code as shown to people: two groups of four, `BDWP-HQPK` (RFC 8628 §6.1: dashes are for display only). */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * The code a person typed, as it is stored, or `undefined` when it cannot be one. RFC 8628 §6.1:
 * entry is case-insensitive, and the punctuation people add (dashes, spaces) is ignored. Nothing
 * else is corrected (an `O` typed for a `0` cannot occur: neither is in the alphabet, and it is
 * refused as any other character outside it).
 */
export function normalizeUserCode(typed: string): string | undefined {
  if (typed.length > 64) return undefined;
  const code = typed.toUpperCase().replace(/[\s-]+/g, '');
  if (code.length !== USER_CODE_LENGTH) return undefined;
  for (const character of code) if (!USER_CODE_ALPHABET.includes(character)) return undefined;
  return code;
}
