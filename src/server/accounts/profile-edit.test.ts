import { describe, expect, it } from 'vitest';
import { editProfile } from './profile-edit.js';

describe('editProfile', () => {
  it.each([
    ['name', 'x'.repeat(101), { key: 'profileError.nameTooLong', values: { max: 100 } }],
    ['given_name', 'Ada\u202eevil', { key: 'profileError.givenNameUnshowable' }],
    ['picture', 'http://example.com/a.png', { key: 'profileError.pictureNotHttps' }],
    ['picture', 'javascript:alert(1)', { key: 'profileError.pictureNotHttps' }],
    ['picture', 'not a url', { key: 'profileError.pictureNotUrl' }],
    ['picture', 'https://user:pw@example.com/a.png', { key: 'profileError.pictureCredentials' }],
    ['locale', 'english please', { key: 'profileError.locale' }],
    ['locale', 'e', { key: 'profileError.locale' }],
    ['zoneinfo', 'Mars/Olympus_Mons', { key: 'profileError.zoneinfo' }],
    ['zoneinfo', '<script>', { key: 'profileError.zoneinfo' }],
  ] as const)('refuses %s = %j', (claim, value, message) => {
    expect(editProfile({}, { [claim]: value })).toEqual({ ok: false, errors: { [claim]: message } });
  });

  it.each([
    ['name', 'Ada Lovelace'],
    ['picture', 'https://cdn.example.com/ada.png?size=64'],
    ['locale', 'en-GB'],
    ['locale', 'zh-Hant-TW'],
    ['zoneinfo', 'Europe/London'],
    ['zoneinfo', 'UTC'],
  ] as const)('accepts %s = %j', (claim, value) => {
    expect(editProfile({}, { [claim]: value })).toEqual({ ok: true, profile: { [claim]: value }, changed: [claim] });
  });

  it('trims, removes emptied claims, keeps the claims it does not edit, and names only what changed', () => {
    const current = { name: 'Ada', locale: 'en', phone_number: '+447700900123', phone_number_verified: true };
    expect(editProfile(current, { name: ' Ada ', locale: '', zoneinfo: 'Europe/Paris' })).toEqual({
      ok: true,
      profile: { name: 'Ada', zoneinfo: 'Europe/Paris', phone_number: '+447700900123', phone_number_verified: true },
      changed: ['locale', 'zoneinfo'],
    });
  });

  it('reports every bad field at once', () => {
    const result = editProfile({}, { picture: 'http://x', zoneinfo: 'Nowhere' });
    expect(result.ok).toBe(false);
    expect(Object.keys(result.ok ? {} : result.errors)).toEqual(['picture', 'zoneinfo']);
  });
});
