import type { UserProfile } from '../../stores/contract.js';
import type { ServerConfig } from '../context.js';
import type { FormParams } from '../http/form.js';
import { emailDomainAllowed, MAX_EMAIL_ADDRESS_LENGTH, normaliseEmailAddress, readEmailAddress } from './email-address.js';
import { checkNewPassword } from './password-policy.js';
import { CONTROLS } from './profile-edit.js';

/** The profile claims the sign-up form may ask for (`accounts.signUpClaims`). */
export type SignUpClaim = 'given_name' | 'family_name' | 'nickname' | 'preferred_username' | 'locale' | 'zoneinfo' | 'birthdate' | 'website';

/** Longest name or claim value: plenty for any real one, and a 10 kB "name" goes no further. */
const MAX_PROFILE_VALUE_LENGTH = 200;

/** Each claim's label on the form and the rule its value follows (optional: empty is fine). */
export const SIGN_UP_CLAIMS: Record<SignUpClaim, { label: string; hint?: string; valid: (value: string) => boolean }> = {
  given_name: { label: 'Given name', valid: () => true },
  family_name: { label: 'Family name', valid: () => true },
  nickname: { label: 'Nickname', valid: () => true },
  preferred_username: { label: 'Preferred username', valid: (value) => !/\s/.test(value) },
  locale: { label: 'Language', hint: 'A language tag, such as en-GB.', valid: (value) => /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/.test(value) },
  zoneinfo: { label: 'Time zone', hint: 'Such as Europe/Paris.', valid: (value) => /^[A-Za-z][A-Za-z0-9_+/-]*$/.test(value) },
  birthdate: { label: 'Date of birth', hint: 'As YYYY-MM-DD.', valid: isDate },
  website: { label: 'Website', hint: 'An https:// address.', valid: isHttpsUrl },
};

/** What the sign-up form holds, normalised; the password only ever in memory. */
export interface SignUpInput {
  email: string;
  name: string;
  password: string;
  claims: Partial<Record<SignUpClaim, string>>;
}

/** The values to show again after a refusal (never the password). */
export type SignUpValues = Omit<SignUpInput, 'password'>;

/** A refusal names the field it is about (`email`, `name`, `password` or a claim), for the page to mark. */
export type SignUpVerdict = { ok: true; input: SignUpInput } | { ok: false; reason: string; field: string; values: SignUpValues };

/**
 * Reads and checks the sign-up form: a syntactically valid address (lower-cased) at an allowed
 * domain, a name, the optional claims the installation asks for, and a password the policy
 * accepts (NIST SP 800-63B, {@link checkNewPassword}). The reason is a sentence for the page that
 * never repeats what was typed.
 */
export function readSignUpForm(config: Pick<ServerConfig, 'accounts'>, form: FormParams): SignUpVerdict {
  const { email, name, claims } = readFields(config, form);
  const password = form.get('password') ?? '';
  // Shown again in the fields: cut to what the fields hold; a claim only once it passed its rule.
  const values: SignUpValues = { email: email.slice(0, MAX_EMAIL_ADDRESS_LENGTH), name: name.slice(0, MAX_PROFILE_VALUE_LENGTH), claims: {} };
  const refuse = (field: string, reason: string): SignUpVerdict => ({ ok: false, reason, field, values });
  if (readEmailAddress(email) === undefined) return refuse('email', 'Enter a valid email address, such as name@example.com.');
  if (!emailDomainAllowed(config, email)) return refuse('email', 'Accounts can only be created with an email address at an allowed domain.');
  if (name === '') return refuse('name', 'Enter your name.');
  if (Array.from(name).length > MAX_PROFILE_VALUE_LENGTH) return refuse('name', `Enter a name of at most ${MAX_PROFILE_VALUE_LENGTH} characters.`);
  // Line breaks, controls and bidirectional overrides, as on the account page: a name is one line that reads as written.
  if (CONTROLS.test(name)) return refuse('name', 'Your name has characters that cannot be shown.');
  for (const [claim, value] of Object.entries(claims) as [SignUpClaim, string][]) {
    const rule = SIGN_UP_CLAIMS[claim];
    if (Array.from(value).length > MAX_PROFILE_VALUE_LENGTH || CONTROLS.test(value) || !rule.valid(value)) {
      return refuse(claim, `Check the field “${rule.label}”${rule.hint ? `: ${rule.hint.charAt(0).toLowerCase()}${rule.hint.slice(1)}` : '.'}`);
    }
    values.claims[claim] = value;
  }
  const verdict = checkNewPassword(config, password, { email, name });
  if (!verdict.ok) return refuse('password', verdict.reason);
  return { ok: true, input: { email, name, password, claims } };
}

/** The form's values to show again (a refusal before the form was checked): the checked ones only. */
export function readSignUpValues(config: Pick<ServerConfig, 'accounts'>, form: FormParams): SignUpValues {
  const verdict = readSignUpForm(config, form);
  if (!verdict.ok) return verdict.values;
  const { email, name, claims } = verdict.input;
  return { email, name, claims };
}

function readFields(config: Pick<ServerConfig, 'accounts'>, form: FormParams): SignUpValues {
  const claims: SignUpValues['claims'] = {};
  for (const claim of config.accounts.signUpClaims as SignUpClaim[]) {
    const value = (form.get(claim) ?? '').trim();
    if (value !== '') claims[claim] = value;
  }
  return { email: normaliseEmailAddress(form.get('email') ?? ''), name: (form.get('name') ?? '').trim(), claims };
}

/** The stored profile of a new account: the name and the claims given (all strings: a `UserProfile`). */
export function profileOf(input: Pick<SignUpInput, 'name' | 'claims'>): Record<string, string> & UserProfile {
  return { name: input.name, ...input.claims };
}

function isDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}
