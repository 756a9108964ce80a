import { describe, expect, it } from 'vitest';
import { assertValidEmail } from '../mfa/senders/sender.js';
import { emailDomainAllowed, MAX_EMAIL_ADDRESS_LENGTH, normaliseEmailAddress, readEmailAddress } from './email-address.js';

describe('readEmailAddress: one rule for every address typed into Gatehouse', () => {
  it.each([
    ['a plain address', 'ada@example.com', 'ada@example.com'],
    ['trimmed and lower-cased', '  Ada.Lovelace@Example.COM\n', 'ada.lovelace@example.com'],
    ['a subaddress and a subdomain', 'ada+id@mail.example.co.uk', 'ada+id@mail.example.co.uk'],
    ['the longest address', `${'a'.repeat(64)}@${'b'.repeat(185)}.com`, `${'a'.repeat(64)}@${'b'.repeat(185)}.com`],
  ])('accepts %s', (_, typed, address) => {
    expect(readEmailAddress(typed)).toBe(address);
  });

  it.each([
    ['nothing', ''],
    ['no @', 'ada.example.com'],
    ['two @', 'ada@b@example.com'],
    ['no local part', '@example.com'],
    ['an undotted domain', 'ada@localhost'],
    ['a domain ending in a dot', 'ada@example.com.'],
    ['two dots in a row', 'ada..lovelace@example.com'],
    ['a space inside', 'ada lovelace@example.com'],
    ['a control character', 'ada\u0001@example.com'],
    ['a C1 control character', 'ada\u0085x@example.com'],
    ['a second recipient', 'ada@example.com,eve@example.com'],
    ['a display name', 'Ada <ada@example.com>'],
    ['markup', '<script>x@y'],
    ['a quoted local part', '"ada"@example.com'],
    ['one character too many', `${'a'.repeat(64)}@${'b'.repeat(186)}.com`],
  ])('refuses %s', (_, typed) => {
    expect(readEmailAddress(typed)).toBeUndefined();
  });

  it('accepts only addresses the email senders will send to', () => {
    const typed = [
      'Ada+x.y_z-1@Example.org',
      'ada;eve@example.com',
      'ada(x)@example.com',
      'a\\b@example.com',
      'ada@exa[mple].com',
      'ada:x@example.com',
      'ada@\u2028.com',
    ];
    const accepted = typed.map(readEmailAddress).filter((address) => address !== undefined);
    expect(accepted).toEqual(['ada+x.y_z-1@example.org']);
    for (const to of accepted)
      expect(() => assertValidEmail({ channel: 'email', template: 'verify_email', to, subject: 'Hi', text: '', html: '' })).not.toThrow();
  });

  it(`counts ${MAX_EMAIL_ADDRESS_LENGTH} characters at the most (RFC 5321)`, () => {
    const local = 'a'.repeat(64);
    const domain = (length: number) => `${'b'.repeat(length - 4)}.com`;
    expect(readEmailAddress(`${local}@${domain(MAX_EMAIL_ADDRESS_LENGTH - 65)}`)).toHaveLength(MAX_EMAIL_ADDRESS_LENGTH);
    expect(readEmailAddress(`${local}@${domain(MAX_EMAIL_ADDRESS_LENGTH - 64)}`)).toBeUndefined();
  });

  it('normalises without checking (a login or a provider’s address, looked up rather than accepted)', () => {
    expect(normaliseEmailAddress(' Ada@Example.com ')).toBe('ada@example.com');
    expect(normaliseEmailAddress('not an address')).toBe('not an address');
  });
});

describe('emailDomainAllowed (accounts.allowedEmailDomains)', () => {
  const config = (allowedEmailDomains: string[]) => ({ accounts: { allowedEmailDomains } }) as unknown as Parameters<typeof emailDomainAllowed>[0];

  it.each([
    [[], 'ada@anywhere.test', true],
    [['example.com'], 'ada@example.com', true],
    [['Example.COM'], 'ada@example.com', true],
    [['example.com', 'example.org'], 'ada@example.org', true],
    [['example.com'], 'ada@mail.example.com', false],
    [['example.com'], 'ada@example.com.evil.test', false],
    [['example.com'], 'example.com@evil.test', false],
  ])('%j, %s: %s', (domains, address, allowed) => {
    expect(emailDomainAllowed(config(domains), address)).toBe(allowed);
  });
});
