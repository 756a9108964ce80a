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

const CODE_WORDS: Record<CodeKind, string> = {
  totp: 'authenticator app',
  recovery: 'recovery code',
  email: 'code by email',
};

/**
 * A sign-in's methods (RFC 8176 `amr` values) in words for the account page: "Password",
 * "Password + authenticator app", "Passkey", "Password + code by email", "GitHub" (for `fed`, with
 * the provider's label), "GitHub + passkey". `mfa` and `user` say nothing a reader needs.
 *
 * @example
 * describeSignInMethods(['pwd', 'otp', 'mfa'], { code: 'totp' }); // 'Password + authenticator app'
 * describeSignInMethods(['swk', 'user', 'mfa']);                   // 'Passkey'
 */
export function describeSignInMethods(amr: readonly string[], detail: SignInDetail = {}): string {
  const has = (value: string) => amr.includes(value);
  const passkey = amr.some((value) => PASSKEY.has(value));
  const first = has('pwd') ? 'Password' : has('fed') ? (detail.provider ?? 'Linked account') : passkey ? 'Passkey' : undefined;
  const seconds: string[] = [];
  // A passkey is the second step only after a password or a provider; alone it is the whole sign-in.
  if (passkey && (has('pwd') || has('fed'))) seconds.push('passkey');
  if (has('otp')) seconds.push(detail.code ? CODE_WORDS[detail.code] : 'one-time code');
  if (has('sms')) seconds.push('code by text message');
  if (first === undefined) {
    const rest = seconds.join(' + ');
    return rest === '' ? 'Other' : rest.charAt(0).toUpperCase() + rest.slice(1);
  }
  return [first, ...seconds].join(' + ');
}
