/** `consentCovers` with claims asked for one by one (OIDC Core §5.5): each released by a consented scope or allowed by name. */
import { describe, expect, it } from 'vitest';
import type { ConsentRecord } from '../stores/contract.js';
import { consentCovers } from './consent.js';

const consent = (scope: string, extra: ConsentRecord['extra'] = {}): ConsentRecord => ({
  id: 'c',
  clientId: 'client-1',
  subject: 'user-1',
  scope,
  extra,
  createdAt: 0,
  updatedAt: 0,
  revokedAt: null,
});

describe('consentCovers: claims by name', () => {
  it.each([
    { case: 'no claims asked', record: consent('openid'), claims: [], covers: true },
    { case: 'a claim released by a consented scope', record: consent('openid email'), claims: ['email', 'email_verified'], covers: true },
    { case: 'a claim allowed by name', record: consent('openid', { claims: ['name'] }), claims: ['name'], covers: true },
    { case: 'a claim neither released nor allowed', record: consent('openid', { claims: ['name'] }), claims: ['name', 'email'], covers: false },
    { case: 'claims kept in another shape (not a list)', record: consent('openid', { claims: { userinfo: { name: null } } }), claims: ['name'], covers: false },
    { case: 'an unknown claim (never released, so nothing to consent to)', record: consent('openid'), claims: ['urn:example:x'], covers: true },
  ])('$case: $covers', ({ record, claims, covers }) => {
    expect(consentCovers(record, ['openid'], [], claims)).toBe(covers);
  });
});
