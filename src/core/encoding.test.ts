import { describe, expect, it } from 'vitest';
import { operatorId, randomToken } from './encoding.js';

describe('randomToken', () => {
  it('hands out distinct tokens of the asked entropy, across pool refills', () => {
    const seen = new Set<string>();
    for (let index = 0; index < 2000; index += 1) {
      const token = randomToken(16);
      expect(Buffer.from(token, 'base64url')).toHaveLength(16);
      seen.add(token);
    }
    expect(seen.size).toBe(2000);
    expect(Buffer.from(randomToken(), 'base64url')).toHaveLength(32);
    expect(Buffer.from(randomToken(5000), 'base64url')).toHaveLength(5000);
  });
});

describe('operatorId', () => {
  it('is the first 16 characters, never starting with "-" (the command line would read an option)', () => {
    expect(operatorId('abcdefghijklmnopqrstuvwxyz')).toBe('abcdefghijklmnop');
    expect(operatorId('-bcdefghijklmnopqrst')).toBe('_bcdefghijklmnop');
    expect(operatorId('a-cdefghijklmnopqrst')).toBe('a-cdefghijklmnop');
  });
});
