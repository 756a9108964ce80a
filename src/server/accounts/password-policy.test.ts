import { describe, expect, it } from 'vitest';
import { englishMessages } from '../../ui/i18n/index.js';
import { messageText } from '../../ui/message-text.js';
import { checkNewPassword, MAX_PASSWORD_LENGTH, type PasswordVerdict } from './password-policy.js';

/** The verdict's reason as the English page says it. */
const reasonOf = (verdict: PasswordVerdict) => (verdict.ok ? undefined : messageText(englishMessages(), verdict.reason));

const config = (passwordMinLength = 8, passwordMinScore = 3) =>
  ({ accounts: { passwordMinLength, passwordMinScore } }) as Parameters<typeof checkNewPassword>[0];

describe('checkNewPassword (NIST SP 800-63B §5.1.1.2)', () => {
  it.each([
    ['too short', 'a1!Zq', /at least 8 characters/],
    ['a common password', 'password123', /too easy to guess/],
    ['a keyboard walk', 'qwertyuiop', /too easy to guess/],
    ['a repeat', 'aaaaaaaaaaaa', /too easy to guess/],
  ])('refuses %s, with the reason', (_, password, reason) => {
    const verdict = checkNewPassword(config(), password);
    expect(verdict.ok).toBe(false);
    expect(reasonOf(verdict)).toMatch(reason);
  });

  it("refuses the owner's own name, username or email, and says so", () => {
    const owner = { username: 'zenobia', email: 'zenobia.quartermaine@example.com', name: 'Zenobia Quartermaine' };
    for (const password of ['quartermaine2024', 'zenobia-quartermaine']) {
      const verdict = checkNewPassword(config(), password, owner);
      expect(verdict.ok).toBe(false);
      expect(reasonOf(verdict)).toMatch(/your name, username or email/);
    }
  });

  it('accepts a passphrase without composition rules (no digit, no symbol, no capital)', () => {
    expect(checkNewPassword(config(), 'correct horse battery staple lamp')).toEqual({ ok: true });
    expect(checkNewPassword(config(), 'violet teapot under gravel')).toEqual({ ok: true });
  });

  it('counts characters, not bytes, and accepts 64 and more; never truncates (over the bound is refused, not cut)', () => {
    expect(checkNewPassword(config(8, 0), '🔑🔑🔑🔑🔑🔑🔑')).toMatchObject({ ok: false });
    expect(checkNewPassword(config(8, 0), '🔑🔑🔑🔑🔑🔑🔑🔑')).toEqual({ ok: true });
    const long = 'plum orbit cactus '.repeat(20);
    expect(checkNewPassword(config(), long)).toEqual({ ok: true });
    expect(reasonOf(checkNewPassword(config(8, 0), 'x'.repeat(MAX_PASSWORD_LENGTH + 1)))).toMatch(/at most 1,024 characters/);
  });

  it('follows the configured length and score; score 0 checks the length only', () => {
    expect(checkNewPassword(config(12, 3), 'violet teapot')).toEqual({ ok: true });
    expect(checkNewPassword(config(16, 3), 'violet teapot')).toMatchObject({ ok: false });
    expect(checkNewPassword(config(8, 0), 'password')).toEqual({ ok: true });
  });

  it('never repeats the password in the reason', () => {
    const verdict = checkNewPassword(config(), 'sunshine99');
    expect(reasonOf(verdict)).not.toContain('sunshine');
  });
});
