import { describe, expect, it } from 'vitest';
import { describeScopes } from './index.js';

describe('describeScopes', () => {
  it('describes the standard scopes in plain words, openid first', () => {
    expect(describeScopes(['email', 'profile', 'openid', 'address', 'phone', 'offline_access'])).toEqual([
      { scope: 'openid', description: 'Sign you in with your account' },
      { scope: 'email', description: 'See your email address' },
      { scope: 'profile', description: 'See your name, profile picture and basic profile details' },
      { scope: 'address', description: 'See your postal address' },
      { scope: 'phone', description: 'See your phone number' },
      { scope: 'offline_access', description: 'Keep access when you are not using the app, until you revoke it' },
    ]);
  });

  it('still lists scopes it does not know, including ones named like object members', () => {
    expect(describeScopes(['photos.read', 'constructor'])).toEqual([
      { scope: 'photos.read', description: 'Use the "photos.read" permission' },
      { scope: 'constructor', description: 'Use the "constructor" permission' },
    ]);
  });

  it('drops duplicates and empty strings', () => {
    expect(describeScopes(['openid', '', 'openid', 'email', 'email']).map((d) => d.scope)).toEqual(['openid', 'email']);
  });
});
