import { describe, expect, it } from 'vitest';
import { editProfile } from './profile-edit.js';

describe('editProfile', () => {
  it.each([
    ['name', 'x'.repeat(101), 'Keep your name to 100 characters or fewer.'],
    ['given_name', 'Ada\u202eevil', 'Your first name has characters that cannot be shown.'],
    ['picture', 'http://example.com/a.png', 'The picture address must start with https://.'],
    ['picture', 'javascript:alert(1)', 'The picture address must start with https://.'],
    ['picture', 'not a url', 'Enter the full address of the picture, starting with https://.'],
    ['picture', 'https://user:pw@example.com/a.png', 'The picture address must not hold a user name or password.'],
    ['locale', 'english please', 'Enter a language tag such as en, en-GB or pt-BR.'],
    ['locale', 'e', 'Enter a language tag such as en, en-GB or pt-BR.'],
    ['zoneinfo', 'Mars/Olympus_Mons', 'Enter a time zone by its IANA name, such as Europe/London or America/New_York.'],
    ['zoneinfo', '<script>', 'Enter a time zone by its IANA name, such as Europe/London or America/New_York.'],
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
