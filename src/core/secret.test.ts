import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretKeys } from './secret.js';

const SECRET = 'a-test-installation-secret-of-32+-characters';

describe('SecretKeys.hash', () => {
  it('is HMAC-SHA256 over `purpose NUL value` with the HKDF-derived key: stored hashes stay valid across versions', () => {
    const key = Buffer.from(hkdfSync('sha256', Buffer.from(SECRET), Buffer.alloc(0), 'gatehouse/keyed-hash/v1', 32));
    for (const value of ['', 'secret', 'héllo wörld', '😀 token']) {
      const expected = createHmac('sha256', key).update('client-secret').update('\0').update(value).digest('base64url');
      expect(new SecretKeys(SECRET).hash(value, 'client-secret')).toBe(expected);
    }
  });

  it('separates purposes and verifies in constant time', () => {
    const keys = new SecretKeys(SECRET);
    const stored = keys.hash('value', 'one');
    expect(keys.hash('value', 'two')).not.toBe(stored);
    expect(keys.verifyHash('value', 'one', stored)).toBe(true);
    expect(keys.verifyHash('value', 'two', stored)).toBe(false);
    expect(keys.verifyHash('other', 'one', stored)).toBe(false);
    expect(keys.verifyHash('value', 'one', stored.slice(1))).toBe(false);
  });
});
