import { describe, expect, it } from 'vitest';
import { compileMessages } from './i18n/index.js';
import { DEFAULT_BRANDING, renderContactVerifyPage, renderReauthRequiredPage } from './index.js';
import { attr, tags } from './testing/all-pages.js';
import { forms, hiddenFields } from './testing/mfa-fixtures.js';

const base = { branding: DEFAULT_BRANDING, nonce: 'n' };

describe('renderContactVerifyPage', () => {
  it('asks for the code sent to a phone number, carrying the factor', () => {
    const html = renderContactVerifyPage({ ...base, action: '/account/contacts/confirm', csrfToken: 'tok', factorId: 'f1', masked: '+44 ••• 123' });
    expect(html).toContain('<h1>Confirm your phone number</h1>');
    expect(html).toContain('We sent a 6-digit code to <strong>+44 ••• 123</strong>');
    const [form] = forms(html);
    expect(hiddenFields(form ?? '')).toEqual({ factor: 'f1', csrf: 'tok' });
    const code = tags(html, 'input').find((tag) => attr(tag, 'name') === 'code') ?? '';
    expect(attr(code, 'autocomplete')).toBe('one-time-code');
    expect(html).toContain('<label for="code">Code</label>');
    expect(html).toMatch(/>Confirm phone number<\/button>/);
  });

  it('says "email address" for an address, and shows an error the field points at', () => {
    const html = renderContactVerifyPage({
      ...base,
      action: '/c',
      csrfToken: 't',
      factorId: 'f',
      masked: 'a•••@example.com',
      error: 'That code did not work.',
    });
    expect(html).toContain('<h1>Confirm your email address</h1>');
    expect(html).toMatch(/id="contact-error" role="alert"/);
    const code = tags(html, 'input').find((tag) => attr(tag, 'name') === 'code') ?? '';
    expect(attr(code, 'aria-describedby')).toBe('contact-error');
    expect(code).toMatch(/\sautofocus\b/);
  });
});

describe('renderReauthRequiredPage', () => {
  it('explains why and offers "Sign in again"', () => {
    const html = renderReauthRequiredPage({
      ...base,
      action: '/account/reauth',
      csrfToken: 'tok',
      message: 'To remove a sign-in method, sign in again first.',
    });
    expect(html).toContain('<p class="lead">To remove a sign-in method, sign in again first.</p>');
    const [form] = forms(html);
    expect(attr(form ?? '', 'action')).toBe('/account/reauth');
    expect(hiddenFields(form ?? '')).toEqual({ csrf: 'tok' });
    expect(form).toMatch(/>Sign in again<\/button>/);
  });
});

describe('renderReauthRequiredPage in German', () => {
  it('takes its title, button and the message from the catalog', () => {
    const i18n = compileMessages().translator('de');
    const html = renderReauthRequiredPage({ ...base, i18n, action: '/account/reauth', csrfToken: 'tok', message: i18n.t('reauth.remove') });
    expect(html).toContain('<html lang="de" dir="ltr">');
    expect(html).toContain('<h1>Bestätigen Sie, dass Sie es sind</h1>');
    expect(html).toContain('<p class="lead">Um eine Anmeldemethode zu entfernen, melden Sie sich bitte zuerst erneut an.</p>');
    expect(html).toMatch(/>Erneut anmelden<\/button>/);
  });
});
