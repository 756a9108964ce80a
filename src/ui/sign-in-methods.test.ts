import { describe, expect, it } from 'vitest';
import { compileMessages } from './i18n/index.js';
import { describeSignInMethods, type SignInDetail } from './index.js';

describe('describeSignInMethods', () => {
  it.each<[string[], SignInDetail, string]>([
    [['pwd'], {}, 'Password'],
    [['pwd', 'otp', 'mfa'], { code: 'totp' }, 'Password + authenticator app'],
    [['pwd', 'otp', 'mfa'], { code: 'email' }, 'Password + code by email'],
    [['pwd', 'otp', 'mfa'], { code: 'recovery' }, 'Password + recovery code'],
    [['pwd', 'otp', 'mfa'], {}, 'Password + one-time code'],
    [['pwd', 'sms', 'mfa'], {}, 'Password + code by text message'],
    [['pwd', 'hwk', 'mfa'], {}, 'Password + passkey'],
    [['swk', 'user', 'mfa'], {}, 'Passkey'],
    [['hwk', 'user'], {}, 'Passkey'],
    [['fed'], { provider: 'GitHub' }, 'GitHub'],
    [['fed'], {}, 'Linked account'],
    [['fed', 'otp', 'mfa'], { provider: 'Google', code: 'totp' }, 'Google + authenticator app'],
    [['fed', 'swk', 'mfa'], { provider: 'GitHub' }, 'GitHub + passkey'],
    [['otp'], {}, 'One-time code'],
    [[], {}, 'Other'],
  ])('%j %j → %s', (amr, detail, expected) => {
    expect(describeSignInMethods(amr, detail)).toBe(expected);
  });

  it('is in the language of the translator given: German, Japanese (no capitals), Arabic', () => {
    const messages = compileMessages();
    expect(describeSignInMethods(['pwd', 'otp', 'mfa'], { code: 'totp' }, messages.translator('de'))).toBe('Passwort + Authenticator-App');
    expect(describeSignInMethods(['otp'], {}, messages.translator('de'))).toBe('Einmalcode');
    expect(describeSignInMethods(['fed', 'swk', 'mfa'], { provider: 'GitHub' }, messages.translator('ja'))).toBe('GitHub + パスキー');
    expect(describeSignInMethods([], {}, messages.translator('ar'))).toBe('أخرى');
  });

  it('never shows a raw amr value', () => {
    for (const amr of [['pwd', 'otp', 'mfa'], ['swk', 'user', 'mfa'], ['fed'], ['pwd', 'sms', 'mfa']]) {
      expect(describeSignInMethods(amr)).not.toMatch(/\b(pwd|otp|mfa|swk|hwk|fed|sms|user)\b/);
    }
  });
});
