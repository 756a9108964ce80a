import { englishMessages, type MessageKey, type Translator } from './i18n/messages.js';

/** Which kind of one-time code an `otp` sign-in used (RFC 8176 has one value for all of them). */
export type CodeKind = 'totp' | 'recovery' | 'email';

/** What a sign-in record knows beyond its `amr`. */
export interface SignInDetail {
  /** The upstream provider's label ("GitHub") for `fed`. */
  provider?: string;
  /** The kind of code behind `otp`. */
  code?: CodeKind;
}

const PASSKEY = new Set(['hwk', 'swk']);

const CODE_WORDS: Record<CodeKind, MessageKey> = {
  totp: 'signInMethods.second.totp',
  recovery: 'signInMethods.second.recovery',
  email: 'signInMethods.second.email',
};

/**
 * A sign-in's methods (RFC 8176 `amr` values) in words for the account page: "Password",
 * "Password + authenticator app", "Passkey", "Password + code by email", "GitHub" (for `fed`, with
 * the provider's label), "GitHub + passkey", in the language of `i18n` (English unless given).
 * `mfa` and `user` say nothing a reader needs.
 *
 * @example
 * describeSignInMethods(['pwd', 'otp', 'mfa'], { code: 'totp' }); // 'Password + authenticator app'
 * describeSignInMethods(['swk', 'user', 'mfa']);                   // 'Passkey'
 */
export function describeSignInMethods(amr: readonly string[], detail: SignInDetail = {}, i18n: Translator = englishMessages()): string {
  const has = (value: string) => amr.includes(value);
  const passkey = amr.some((value) => PASSKEY.has(value));
  const first = has('pwd')
    ? i18n.text('signInMethods.password')
    : has('fed')
      ? (detail.provider ?? i18n.text('signInMethods.linkedAccount'))
      : passkey
        ? i18n.text('signInMethods.passkey')
        : undefined;
  const seconds: string[] = [];
  // A passkey is the second step only after a password or a provider; alone it is the whole sign-in.
  if (passkey && (has('pwd') || has('fed'))) seconds.push(i18n.text('signInMethods.second.passkey'));
  if (has('otp')) seconds.push(i18n.text(detail.code ? CODE_WORDS[detail.code] : 'signInMethods.second.otp'));
  if (has('sms')) seconds.push(i18n.text('signInMethods.second.sms'));
  if (first === undefined) {
    const rest = seconds.join(' + ');
    return rest === '' ? i18n.text('signInMethods.other') : rest.charAt(0).toLocaleUpperCase(i18n.locale) + rest.slice(1);
  }
  return [first, ...seconds].join(' + ');
}
