import { describe, expect, it } from 'vitest';
import { maskEmail, maskPhone } from './index.js';

describe('maskPhone', () => {
  it.each([
    ['+441234567123', '+44 ••• 123'],
    ['+44 7700 900123', '+44 ••• 123'],
    ['+15550100199', '+1 ••• 199'],
    ['+79161234567', '+7 ••• 567'],
    ['+4915112345678', '+49 ••• 678'],
    ['+353861234567', '+353 ••• 567'],
    ['+886912345678', '+886 ••• 678'],
    ['07700900123', '••• 123'],
  ])('%s → %s', (phone, masked) => {
    expect(maskPhone(phone)).toBe(masked);
  });

  it('hides a number too short to be real entirely', () => {
    expect(maskPhone('+12345')).toBe('•••');
    expect(maskPhone('')).toBe('•••');
  });
});

describe('maskEmail', () => {
  it.each([
    ['alice@example.com', 'a•••@example.com'],
    [' Bob.Smith@mail.example.org ', 'B•••@mail.example.org'],
    ['"a@b"@example.com', '"•••@example.com'],
    ['😀x@example.com', '😀•••@example.com'],
    ['@example.com', '•••@example.com'],
  ])('%s → %s', (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });

  it('hides something that is not an address entirely', () => {
    expect(maskEmail('not-an-address')).toBe('•••');
  });
});
