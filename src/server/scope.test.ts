/**
 * Scope strings (RFC 6749 §3.3): space-delimited, case-sensitive tokens of
 * `%x21 / %x23-5B / %x5D-7E` (printable ASCII without space, `"` and `\`).
 */
import { describe, expect, it } from 'vitest';
import { grantableScope, isValidScopeToken, parseScope } from './scope.js';

const MALFORMED = 'scope holds a token that is not a valid scope token (RFC 6749 section 3.3)';

describe('parseScope', () => {
  it.each([
    { scope: undefined, tokens: [] },
    { scope: '', tokens: [] },
    { scope: '   ', tokens: [] },
    { scope: 'openid', tokens: ['openid'] },
    { scope: 'openid profile email', tokens: ['openid', 'profile', 'email'] },
    { scope: 'email openid', tokens: ['email', 'openid'] },
    { scope: '  openid   profile ', tokens: ['openid', 'profile'] },
    { scope: 'openid profile openid', tokens: ['openid', 'profile'] },
    { scope: 'openid OpenID', tokens: ['openid', 'OpenID'] },
    { scope: 'https://api.example/read api:write files.read', tokens: ['https://api.example/read', 'api:write', 'files.read'] },
    { scope: "! # [ ] ~ $%&'()*+,-./:;<=>?@^_`{|}", tokens: ['!', '#', '[', ']', '~', "$%&'()*+,-./:;<=>?@^_`{|}"] },
  ])('$scope → $tokens', ({ scope, tokens }) => {
    expect(parseScope(scope)).toEqual(tokens);
  });

  it.each([
    { case: 'a double quote (%x22)', scope: 'openid "profile"' },
    { case: 'a backslash (%x5C)', scope: 'openid pro\\file' },
    { case: 'a tab', scope: 'openid\tprofile' },
    { case: 'a newline', scope: 'openid\nprofile' },
    { case: 'a carriage return', scope: 'openid\r' },
    { case: 'a non-breaking space', scope: 'openid\u00a0profile' },
    { case: 'DEL (%x7F)', scope: 'openid\x7f' },
    { case: 'a control character', scope: '\x00openid' },
    { case: 'a non-ASCII letter', scope: 'café' },
    { case: 'an emoji', scope: 'openid 🔑' },
  ])('refuses $case with invalid_scope', ({ scope }) => {
    expect(() => parseScope(scope)).toThrow(expect.objectContaining({ error: 'invalid_scope', message: MALFORMED }));
  });
});

describe('isValidScopeToken', () => {
  it.each([
    { token: 'openid', valid: true },
    { token: '!', valid: true },
    { token: '~', valid: true },
    { token: 'a:b/c.d', valid: true },
    { token: '', valid: false },
    { token: 'a b', valid: false },
    { token: '"', valid: false },
    { token: '\\', valid: false },
    { token: '\x7f', valid: false },
    { token: 'é', valid: false },
  ])('$token: $valid', ({ token, valid }) => {
    expect(isValidScopeToken(token)).toBe(valid);
  });
});

describe('grantableScope (all requested must be allowed; none requested: the allowed set)', () => {
  const allowed = ['openid', 'profile', 'email'];

  it.each([
    { requested: [], granted: allowed },
    { requested: ['openid'], granted: ['openid'] },
    { requested: ['email', 'openid'], granted: ['email', 'openid'] },
    { requested: allowed, granted: allowed },
  ])('$requested → $granted', ({ requested, granted }) => {
    expect(grantableScope(requested, allowed)).toEqual(granted);
  });

  it.each([[['admin']], [['openid', 'admin']], [['OPENID']]])('refuses %j with invalid_scope', (requested) => {
    expect(() => grantableScope(requested, allowed)).toThrow(
      expect.objectContaining({ error: 'invalid_scope', message: 'a requested scope is not allowed for this client' }),
    );
  });

  it('grants nothing when nothing is allowed and nothing requested', () => {
    expect(grantableScope([], [])).toEqual([]);
  });
});
