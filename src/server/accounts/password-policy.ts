import { importOptional } from '../../core/optional-dependency.js';
import type { MessageText } from '../../ui/message-text.js';
import type { ServerConfig } from '../context.js';

const { ZxcvbnFactory } = await importOptional('@zxcvbn-ts/core', () => import('@zxcvbn-ts/core'), 'gatehouse/server (the password policy)');
const common = await importOptional('@zxcvbn-ts/language-common', () => import('@zxcvbn-ts/language-common'), 'gatehouse/server (the password policy)');
const english = await importOptional('@zxcvbn-ts/language-en', () => import('@zxcvbn-ts/language-en'), 'gatehouse/server (the password policy)');

/**
 * Longest password accepted. NIST SP 800-63B §5.1.1.2 asks for at least 64; the bound only keeps a
 * megabyte of "password" from reaching the hash. Nothing is ever truncated: a longer one is refused.
 */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * zxcvbn judges this many characters at most: its matching grows faster than linearly with length,
 * and a password this long that starts strong stays strong.
 */
const JUDGED_LENGTH = 100;

/** One estimator for the process: building the dictionaries takes a moment, checking is fast. */
let estimator: InstanceType<typeof ZxcvbnFactory> | undefined;
function zxcvbn(): InstanceType<typeof ZxcvbnFactory> {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
    // Off: fuzzy matching against every dictionary word costs up to a second of CPU per check (a
    // cheap way to load the server); exact, reversed and l33t matches cost milliseconds.
    useLevenshteinDistance: false,
    maxLength: JUDGED_LENGTH,
  });
  return estimator;
}

/** Whose password it is: their own name, username and address are the first guesses an attacker tries. */
export interface PasswordOwner {
  username?: string | null;
  email?: string | null;
  name?: string | null;
}

/** Why something typed was refused: a catalog message, said by the page in its language. */
export type Refusal = Exclude<MessageText, string>;

export type PasswordVerdict = { ok: true } | { ok: false; reason: Refusal };

/**
 * Checks a newly chosen password (sign-up, reset, change, invitation) as NIST SP 800-63B §5.1.1.2
 * asks: at least `accounts.passwordMinLength` characters (counted as Unicode code points, so an
 * emoji is one), at most {@link MAX_PASSWORD_LENGTH}, no composition rules, and not guessable —
 * judged by zxcvbn against common passwords, English words and names, keyboard patterns, dates,
 * repeats and the owner's own name, username and email (`accounts.passwordMinScore`). The reason
 * is a message for the page; it never repeats the password. zxcvbn's own feedback is English, so
 * the page gives the general advice instead (a few unrelated words).
 */
export function checkNewPassword(config: Pick<ServerConfig, 'accounts'>, password: string, owner: PasswordOwner = {}): PasswordVerdict {
  const { passwordMinLength, passwordMinScore } = config.accounts;
  // Code points, as people count characters (an emoji is one); `Array.from` splits by code point.
  const length = Array.from(password).length;
  if (length < passwordMinLength) return { ok: false, reason: { key: 'password.error.tooShort', values: { min: passwordMinLength } } };
  if (length > MAX_PASSWORD_LENGTH) return { ok: false, reason: { key: 'password.error.tooLong', values: { max: MAX_PASSWORD_LENGTH } } };
  if (passwordMinScore === 0) return { ok: true };
  if (containsOwnerDetails(password, owner)) return { ok: false, reason: OWN_DETAILS };
  const inputs = ownerWords(owner);
  const result = zxcvbn().check(password.slice(0, JUDGED_LENGTH), inputs);
  if (result.score >= passwordMinScore) return { ok: true };
  const usesOwnDetails = result.sequence.some((match) => match.pattern === 'dictionary' && match.dictionaryName === 'userInputs');
  return { ok: false, reason: usesOwnDetails ? OWN_DETAILS : { key: 'password.error.guessable' } };
}

const OWN_DETAILS: Refusal = { key: 'password.error.ownDetails' };

/** Letters and digits only, lower-cased: "Zenobia-Quartermaine!" and "zenobia quartermaine" read alike. */
const bare = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/**
 * Whether the password holds the owner's whole username, full name or the name part of their
 * address (separators and case aside): zxcvbn scores two such words joined by a dash as strong,
 * but they are the first thing anyone who knows the user tries.
 */
function containsOwnerDetails(password: string, owner: PasswordOwner): boolean {
  const typed = bare(password);
  const details = [owner.username, owner.name, owner.email?.split('@')[0]].map((value) => bare(value ?? '')).filter((value) => value.length >= 4);
  return details.some((detail) => typed.includes(detail));
}

/** The owner's details as zxcvbn user inputs: each whole, and each part of them (an address's name part, a name's words). */
function ownerWords(owner: PasswordOwner): string[] {
  const words = new Set<string>();
  for (const value of [owner.username, owner.email, owner.name]) {
    if (!value) continue;
    const lower = value.toLowerCase();
    words.add(lower);
    for (const part of lower.split(/[\s@._+-]+/)) if (part.length >= 3) words.add(part);
  }
  return [...words];
}
