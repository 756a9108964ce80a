import type { UserProfile } from '../../stores/contract.js';
import type { MessageKey, Translator } from '../../ui/i18n/index.js';
import { messageText } from '../../ui/message-text.js';
import type { ServerConfig } from '../context.js';
import type { FormParams } from '../http/form.js';
import { emailDomainAllowed, MAX_EMAIL_ADDRESS_LENGTH, normaliseEmailAddress, readEmailAddress } from './email-address.js';
import { checkNewPassword, type Refusal } from './password-policy.js';
import { CONTROLS } from './profile-edit.js';

/** The profile claims the sign-up form may ask for (`accounts.signUpClaims`). */
export type SignUpClaim = 'given_name' | 'family_name' | 'nickname' | 'preferred_username' | 'locale' | 'zoneinfo' | 'birthdate' | 'website';

/** Longest name or claim value: plenty for any real one, and a 10 kB "name" goes no further. */
const MAX_PROFILE_VALUE_LENGTH = 200;

/** Each claim's label on the form and the hint under it (catalog messages), and the rule its value follows (optional: empty is fine). */
export const SIGN_UP_CLAIMS: Record<SignUpClaim, { label: MessageKey; hint?: MessageKey; valid: (value: string) => boolean }> = {
  given_name: { label: 'signUp.claim.givenName', valid: () => true },
  family_name: { label: 'signUp.claim.familyName', valid: () => true },
  nickname: { label: 'signUp.claim.nickname', valid: () => true },
  preferred_username: { label: 'signUp.claim.preferredUsername', valid: (value) => !/\s/.test(value) },
  locale: { label: 'signUp.claim.locale', hint: 'signUp.claim.localeHint', valid: (value) => /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/.test(value) },
  zoneinfo: { label: 'signUp.claim.zoneinfo', hint: 'signUp.claim.zoneinfoHint', valid: (value) => /^[A-Za-z][A-Za-z0-9_+/-]*$/.test(value) },
  birthdate: { label: 'signUp.claim.birthdate', hint: 'signUp.claim.birthdateHint', valid: isDate },
  website: { label: 'signUp.claim.website', hint: 'signUp.claim.websiteHint', valid: isHttpsUrl },
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

/** Why the form was refused: a message, or a claim's value that does not follow its rule (said with the claim's label and hint). */
export type SignUpRefusal = Refusal | { claim: SignUpClaim };

/** A refusal names the field it is about (`email`, `name`, `password` or a claim), for the page to mark. */
export type SignUpVerdict = { ok: true; input: SignUpInput } | { ok: false; reason: SignUpRefusal; field: string; values: SignUpValues };

/** A {@link SignUpRefusal} as a sentence in the language of `i18n`. */
export function signUpRefusalText(i18n: Translator, reason: SignUpRefusal): string {
  if (!('claim' in reason)) return messageText(i18n, reason)!;
  const { label, hint } = SIGN_UP_CLAIMS[reason.claim];
  const field = i18n.text(label);
  return hint ? i18n.text('signUp.error.claimHint', { field, hint: i18n.text(hint) }) : i18n.text('signUp.error.claim', { field });
}

/**
 * Reads and checks the sign-up form: a syntactically valid address (lower-cased) at an allowed
 * domain, a name, the optional claims the installation asks for, and a password the policy
 * accepts (NIST SP 800-63B, {@link checkNewPassword}). The reason ({@link signUpRefusalText}) never
 * repeats what was typed.
 */
export function readSignUpForm(config: Pick<ServerConfig, 'accounts'>, form: FormParams): SignUpVerdict {
  const { email, name, claims } = readFields(config, form);
  const password = form.get('password') ?? '';
  // Shown again in the fields: cut to what the fields hold; a claim only once it passed its rule.
  const values: SignUpValues = { email: email.slice(0, MAX_EMAIL_ADDRESS_LENGTH), name: name.slice(0, MAX_PROFILE_VALUE_LENGTH), claims: {} };
  const refuse = (field: string, reason: SignUpRefusal): SignUpVerdict => ({ ok: false, reason, field, values });
  if (readEmailAddress(email) === undefined) return refuse('email', { key: 'signUp.error.email' });
  if (!emailDomainAllowed(config, email)) return refuse('email', { key: 'signUp.error.domain' });
  if (name === '') return refuse('name', { key: 'signUp.error.name' });
  if (Array.from(name).length > MAX_PROFILE_VALUE_LENGTH) return refuse('name', { key: 'signUp.error.nameLength', values: { max: MAX_PROFILE_VALUE_LENGTH } });
  // Line breaks, controls and bidirectional overrides, as on the account page: a name is one line that reads as written.
  if (CONTROLS.test(name)) return refuse('name', { key: 'signUp.error.nameCharacters' });
  for (const [claim, value] of Object.entries(claims) as [SignUpClaim, string][]) {
    if (Array.from(value).length > MAX_PROFILE_VALUE_LENGTH || CONTROLS.test(value) || !SIGN_UP_CLAIMS[claim].valid(value)) {
      return refuse(claim, { claim });
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
