import { describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING, renderMfaChallengePage, type MfaChallengePageView } from './index.js';
import { attr, tags } from './testing/all-pages.js';
import { forms, hiddenFields, text } from './testing/mfa-fixtures.js';

const view: MfaChallengePageView = {
  branding: DEFAULT_BRANDING,
  nonce: 'n0nce',
  action: '/interaction/abc/mfa',
  csrfToken: 'tok',
  client: { name: 'Acme Photos' },
  methods: {
    totp: true,
    recoveryCodes: true,
    passkey: false,
    contacts: [
      { factorId: 'f-sms', channel: 'sms', masked: '+44 ••• 123' },
      { factorId: 'f-mail', channel: 'email', masked: 'a•••@example.com' },
    ],
  },
};
const passkey = { optionsUrl: '/interaction/abc/passkey/options', verifyUrl: '/interaction/abc/passkey', scriptUrl: '/assets/webauthn.js' };

function formFor(html: string, method: string, factor?: string): string {
  const found = forms(html).filter((form) => hiddenFields(form).method === method && (factor === undefined || hiddenFields(form).factor === factor));
  expect(found, `${method} ${factor ?? ''}`).toHaveLength(1);
  return found[0] ?? '';
}

function input(html: string, name: string): string {
  return tags(html, 'input').find((tag) => attr(tag, 'name') === name) ?? '';
}

describe('renderMfaChallengePage', () => {
  it('asks for an authenticator code with the hints phones and password managers use', () => {
    const html = renderMfaChallengePage(view);
    expect(html).toContain('<h1>Two-step verification</h1>');
    expect(html).toContain('to continue to <strong>Acme Photos</strong>');
    const totp = formFor(html, 'totp');
    expect(hiddenFields(totp)).toEqual({ method: 'totp', csrf: 'tok' });
    const code = input(totp, 'code');
    expect(attr(code, 'inputmode')).toBe('numeric');
    expect(attr(code, 'autocomplete')).toBe('one-time-code');
    expect(attr(code, 'pattern')).toBe('\\d{6}');
    expect(new RegExp(`^${attr(code, 'pattern')}$`).test('123456')).toBe(true);
    expect(code).toMatch(/\srequired\b/);
    expect(code).toMatch(/\sautofocus\b/);
    expect(totp).toMatch(/<button type="submit" class="button button-primary">Verify<\/button>/);
  });

  it('offers a recovery code under a "Use a recovery code" disclosure', () => {
    const html = renderMfaChallengePage(view);
    const details = /<details class="disclosure"><summary>Use a recovery code<\/summary>([\s\S]*?)<\/details>/.exec(html)?.[1] ?? '';
    const recovery = formFor(details, 'recovery');
    const code = input(recovery, 'code');
    expect(attr(code, 'type')).toBe('text');
    expect(attr(code, 'inputmode')).toBeUndefined();
    expect(attr(code, 'pattern')).toBeUndefined();
  });

  it('leaves the recovery form out when the user has no recovery codes', () => {
    const html = renderMfaChallengePage({ ...view, methods: { ...view.methods, recoveryCodes: false } });
    expect(html).not.toContain('Use a recovery code');
    expect(forms(html).some((form) => hiddenFields(form).method === 'recovery')).toBe(false);
  });

  it('offers to send a code to each phone number and email address', () => {
    const html = renderMfaChallengePage(view);
    const sms = formFor(html, 'send', 'f-sms');
    const mail = formFor(html, 'send', 'f-mail');
    expect(hiddenFields(sms)).toEqual({ method: 'send', factor: 'f-sms', csrf: 'tok' });
    expect(text(sms)).toBe('Text a code to +44 ••• 123');
    expect(text(mail)).toBe('Email a code to a•••@example.com');
    expect(input(sms, 'code')).toBe('');
  });

  it('once a code is sent, asks for it first, with the factor, and offers to send a new one', () => {
    const html = renderMfaChallengePage({ ...view, codeSent: { factorId: 'f-sms', masked: '+44 ••• 123' } });
    const contact = formFor(html, 'contact');
    expect(hiddenFields(contact)).toEqual({ method: 'contact', factor: 'f-sms', csrf: 'tok' });
    expect(text(contact)).toContain('Enter the code we sent to +44 ••• 123');
    expect(attr(input(contact, 'code'), 'autocomplete')).toBe('one-time-code');
    expect(input(contact, 'code')).toMatch(/\sautofocus\b/);
    // Only one field takes focus, and the contact form comes before the authenticator one.
    expect(tags(html, 'input').filter((tag) => /\sautofocus\b/.test(tag))).toHaveLength(1);
    expect(html.indexOf('value="contact"')).toBeLessThan(html.indexOf('value="totp"'));
    expect(text(formFor(html, 'send', 'f-sms'))).toBe('Send a new code to +44 ••• 123');
  });

  it('shows an error in an alert that the first code field points at, and puts the focus there', () => {
    const html = renderMfaChallengePage({ ...view, error: 'That code did not work.' });
    expect(html).toMatch(/<div class="alert" id="mfa-error" role="alert">[\s\S]*That code did not work\.<\/p><\/div>/);
    const code = input(formFor(html, 'totp'), 'code');
    expect(attr(code, 'aria-invalid')).toBe('true');
    expect(attr(code, 'aria-describedby')).toContain('mfa-error');
    expect(code).toMatch(/\sautofocus\b/);
  });

  it('when locked, disables every code form and says when to try again', () => {
    const html = renderMfaChallengePage({ ...view, codeSent: { factorId: 'f-sms', masked: '+44 ••• 123' }, lockedUntil: '10:42' });
    expect(html).toMatch(/role="alert">[\s\S]*Too many attempts[\s\S]*<strong>10:42<\/strong>/);
    for (const method of ['totp', 'recovery', 'contact']) {
      expect(formFor(html, method)).toMatch(/<fieldset class="plain" disabled>/);
    }
    for (const form of forms(html).filter((f) => hiddenFields(f).method === 'send')) expect(form).toMatch(/<fieldset class="plain" disabled>/);
    expect(html).not.toMatch(/\sautofocus\b/);
  });

  it('without passkey options, has no script and no passkey button', () => {
    const html = renderMfaChallengePage({ ...view, methods: { ...view.methods, passkey: true } });
    expect(tags(html, 'script')).toHaveLength(0);
    expect(html).not.toContain('passkey-button');
  });

  it('with passkey options, adds the button, the library and the ceremony script, all with the nonce', () => {
    const html = renderMfaChallengePage({ ...view, methods: { ...view.methods, passkey: true }, passkey });
    const button = tags(html, 'button').find((tag) => attr(tag, 'id') === 'passkey-button') ?? '';
    expect(attr(button, 'type')).toBe('submit');
    expect(html).toContain('<span>Use a passkey</span></button>');
    // The form the script drives: options URL as action, verify URL and CSRF token in attributes.
    const form = forms(html).find((f) => f.includes('id="passkey-button"')) ?? '';
    expect(attr(form, 'action')).toBe(passkey.optionsUrl);
    expect(attr(form, 'data-verify-url')).toBe(passkey.verifyUrl);
    expect(attr(form, 'data-passkey')).toBe('authenticate');
    expect(hiddenFields(form)).toEqual({ csrf: 'tok' });
    // Hidden until the script finds passkeys supported, so it never shows as a dead button.
    expect(html).toMatch(/<div data-passkey-block hidden>[\s\S]*id="passkey-button"/);
    expect(html).toMatch(/<p class="passkey-status" id="passkey-status" role="status" aria-live="polite"><\/p>/);
    const scripts = tags(html, 'script');
    expect(scripts).toHaveLength(2);
    expect(scripts[0]).toBe('<script src="/assets/webauthn.js" nonce="n0nce">');
    expect(scripts[1]).toBe('<script nonce="n0nce">');
    expect(html).toContain('startAuthentication({ optionsJSON: options })');
    expect(html).toContain("'X-CSRF-Token': csrf");
  });

  it('leaves the passkey out when the user has none, even with options given', () => {
    const html = renderMfaChallengePage({ ...view, passkey });
    expect(tags(html, 'script')).toHaveLength(0);
  });

  it('with only a passkey next to the code form, keeps the "or" inside the hidden passkey block', () => {
    const html = renderMfaChallengePage({ ...view, methods: { totp: true, recoveryCodes: false, passkey: true, contacts: [] }, passkey });
    expect(html.match(/class="divider"/g)).toHaveLength(1);
    expect(html).toMatch(/<div data-passkey-block hidden><div class="divider"/);
  });

  it('says so when there is no way to verify at all', () => {
    const html = renderMfaChallengePage({ ...view, methods: { totp: false, recoveryCodes: false, passkey: false, contacts: [] } });
    expect(html).toContain('No way to verify is set up for this account.');
    expect(tags(html, 'form')).toHaveLength(0);
  });
});
