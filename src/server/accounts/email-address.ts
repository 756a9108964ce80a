import type { ServerConfig } from '../context.js';

/** Longest email address (RFC 5321 §4.5.3.1.3: a 256-octet path, less its angle brackets). */
export const MAX_EMAIL_ADDRESS_LENGTH = 254;

/**
 * One `@`; a local part and a dotted domain without spaces, control characters or the characters
 * that separate or quote addresses in a header (`,;:<>()[]"\`), so every address accepted here is
 * one the email senders accept too (`mfa/senders/sender.ts`); the domain does not end with a dot.
 */
// eslint-disable-next-line no-control-regex
const EMAIL_ADDRESS = /^[^\s@,;:<>()[\]"\\\x00-\x1f\x7f-\x9f]+@[^\s@,;:<>()[\]"\\\x00-\x1f\x7f-\x9f]+\.[^\s@,;:<>()[\]"\\\x00-\x1f\x7f-\x9f.]+$/;

/**
 * An address as it is stored and compared: trimmed and lower-cased. For a login or a provider's
 * address, which is looked up rather than checked.
 *
 * @example
 * normaliseEmailAddress(' Ada@Example.COM '); // 'ada@example.com'
 */
export function normaliseEmailAddress(typed: string): string {
  return typed.trim().toLowerCase();
}

/**
 * The typed address, normalised ({@link normaliseEmailAddress}), when it is one worth sending to:
 * at most {@link MAX_EMAIL_ADDRESS_LENGTH} characters, one `@`, a dotted domain, no `..`, none of
 * the characters above. `undefined` otherwise: each caller says so in its own words.
 *
 * @example
 * readEmailAddress(' Ada@Example.com '); // 'ada@example.com'
 * readEmailAddress('ada@localhost'); // undefined
 */
export function readEmailAddress(typed: string): string | undefined {
  const address = normaliseEmailAddress(typed);
  if (address.length > MAX_EMAIL_ADDRESS_LENGTH || !EMAIL_ADDRESS.test(address) || address.includes('..')) return undefined;
  return address;
}

/**
 * `accounts.allowedEmailDomains`: the address's domain is one of them, exactly (no subdomains),
 * case-insensitively; any domain when the list is empty.
 *
 * @example
 * emailDomainAllowed({ accounts: { allowedEmailDomains: ['example.com'] } }, 'ada@example.com'); // true
 */
export function emailDomainAllowed(config: Pick<ServerConfig, 'accounts'>, address: string): boolean {
  const allowed = config.accounts.allowedEmailDomains;
  if (allowed.length === 0) return true;
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return allowed.some((candidate) => candidate.toLowerCase() === domain);
}
