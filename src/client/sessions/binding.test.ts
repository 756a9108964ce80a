import { describe, expect, it } from 'vitest';
import { oauth2 } from '../providers/oauth2.js';
import { oidc } from '../providers/oidc.js';
import type { ProviderPreset } from '../providers/preset.js';
import { boundContext, clientBinding, isBoundTo, type SessionBinding } from './binding.js';

const BINDING: SessionBinding = { cookiePrefix: 'gh', clientId: 'staff-app', issuer: 'https://id.example.com' };

describe('clientBinding', () => {
  it.each<[string, ProviderPreset, string]>([
    ['an OpenID preset: its issuer', oidc('https://id.example.com'), 'https://id.example.com'],
    [
      'an OAuth 2.0 preset: the issuer of its endpoints',
      oauth2({ authorizationEndpoint: 'https://as.example/authorize', tokenEndpoint: 'https://as.example/token' }),
      'https://as.example',
    ],
    ['a preset with neither: its id', { id: 'custom', openid: false, defaultScopes: [] }, 'custom'],
  ])('names the provider of %s', (_case, preset, issuer) => {
    expect(clientBinding(preset, 'app', 'gh')).toEqual({ cookiePrefix: 'gh', clientId: 'app', issuer });
  });
});

describe('isBoundTo', () => {
  it.each<[string, unknown, boolean]>([
    ['the same client', { ...BINDING }, true],
    ['another client id', { ...BINDING, clientId: 'partner-app' }, false],
    ['another cookie prefix', { ...BINDING, cookiePrefix: 'staff' }, false],
    ['another issuer', { ...BINDING, issuer: 'https://other.example.com' }, false],
    ['no binding (a session from before bindings)', undefined, false],
    ['null', null, false],
    ['a string', JSON.stringify(BINDING), false],
  ])('%s: %s', (_case, boundTo, expected) => {
    expect(isBoundTo({ boundTo }, BINDING)).toBe(expected);
  });
});

describe('boundContext', () => {
  it('differs for every part, and cannot be forged by moving characters between parts', () => {
    const contexts = [
      boundContext('purpose', BINDING),
      boundContext('other-purpose', BINDING),
      boundContext('purpose', BINDING, 'gh_tx_a'),
      boundContext('purpose', { ...BINDING, clientId: 'partner-app' }),
      boundContext('purpose', { ...BINDING, cookiePrefix: 'staff' }),
      boundContext('purpose', { ...BINDING, issuer: 'https://other.example.com' }),
      boundContext('purpose', { cookiePrefix: 'a","b', clientId: 'c', issuer: 'd' }),
      boundContext('purpose', { cookiePrefix: 'a', clientId: 'b","c', issuer: 'd' }),
    ];
    expect(new Set(contexts).size).toBe(contexts.length);
  });
});
