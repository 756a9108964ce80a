/** What stands in for the hidden part of a phone number or email address. */
const MASK = '•••';

// ITU-T E.164 country calling codes are one to three digits and prefix-free: 1 and 7 are the only
// one-digit codes, these are all the two-digit ones, and every other code has three digits.
const TWO_DIGIT_COUNTRY_CODES = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(' '),
);

function countryCode(digits: string): string {
  if (digits.startsWith('1') || digits.startsWith('7')) return digits.slice(0, 1);
  if (TWO_DIGIT_COUNTRY_CODES.has(digits.slice(0, 2))) return digits.slice(0, 2);
  return digits.slice(0, 3);
}

/**
 * A phone number masked for display: the country code and the last three digits, enough for the
 * user to recognise their own number but not to learn someone else's.
 *
 * @example
 * maskPhone('+441234567123'); // '+44 ••• 123'
 * maskPhone('+1 555 010 0199'); // '+1 ••• 199'
 * maskPhone('07700900123');   // '••• 123'
 */
export function maskPhone(phone: string): string {
  const trimmed = phone.trim();
  const digits = trimmed.replace(/\D/g, '');
  // Too short to be a real number: showing three digits would show most of it.
  if (digits.length < 7) return MASK;
  const last = digits.slice(-3);
  return trimmed.startsWith('+') ? `+${countryCode(digits)} ${MASK} ${last}` : `${MASK} ${last}`;
}

/**
 * An email address masked for display: the first character of the local part and the whole domain.
 *
 * @example
 * maskEmail('alice@example.com'); // 'a•••@example.com'
 */
export function maskEmail(email: string): string {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return MASK;
  // Array.from splits by code point, so a non-BMP first character is kept whole.
  const first = Array.from(trimmed.slice(0, at))[0] ?? '';
  return `${first}${MASK}@${trimmed.slice(at + 1)}`;
}
