import { describe, expect, it } from 'vitest';
import { newPasswordField, newPasswordHint, powForm, textField } from './form.js';
import { codeField } from './code-field.js';
import { compileMessages } from './i18n/index.js';
import {
  DEFAULT_BRANDING,
  renderAccountPage,
  renderContactVerifyPage,
  renderDeleteAccountPage,
  renderDeviceCodePage,
  renderEmailConfirmPage,
  renderEmailCodePage,
  renderForgotPasswordPage,
  renderInvitationPage,
  renderLoginPage,
  renderMfaChallengePage,
  renderNewPasswordPage,
  renderSignUpPage,
  renderVerifyEmailPage,
} from './index.js';
import { attr, tags } from './testing/all-pages.js';
import { accountActions } from './testing/mfa-fixtures.js';
import { englishMessages } from './i18n/messages.js';

const base = { branding: DEFAULT_BRANDING, nonce: 'n', i18n: englishMessages() };

/** An account page with its details section (profile, email, password), nothing else on it. */
const accountView = {
  ...base,
  csrfToken: 't',
  account: { login: 'ada@example.com' },
  factors: [],
  recoveryCodesLeft: undefined,
  sessions: [],
  signIns: [],
};
const accountDetails = { email: 'ada@example.com', emailVerified: true, hasPassword: true, passwordMinLength: 9, profile: {} };

/** The `<div class="field">` holding the input with `id`. */
function fieldOf(html: string, id: string): string {
  const found = html.match(/<div class="field">[\s\S]*?<\/div>/g)?.find((field) => field.includes(` id="${id}"`));
  expect(found, id).toBeDefined();
  return found ?? '';
}

describe('newPasswordField', () => {
  it('is a new-password input with minlength, the rule between label and input, the hint first in aria-describedby', () => {
    const html = newPasswordField({ id: 'pw', name: 'password', label: 'New password', minLength: 10, invalid: true, describedBy: 'err' }).toString();
    const [input] = tags(html, 'input');
    expect([attr(input!, 'type'), attr(input!, 'autocomplete'), attr(input!, 'minlength'), attr(input!, 'aria-describedby')]).toEqual([
      'password',
      'new-password',
      '10',
      'pw-hint err',
    ]);
    expect(html.indexOf('</label>')).toBeLessThan(html.indexOf('id="pw-hint"'));
    expect(html.indexOf('id="pw-hint"')).toBeLessThan(html.indexOf('<input'));
    expect(html).toContain(`>${newPasswordHint(10)}</p>`);
    expect(html).not.toContain('autocapitalize');
  });

  // The four pages where a password is chosen say the rule one way, in one place.
  const pages: [string, string, string][] = [
    [
      'sign-up',
      renderSignUpPage({ ...base, action: '/signup', csrfToken: 't', client: { name: 'Notes' }, passwordMinLength: 9, claims: [], signInUrl: '/login' }),
      'password',
    ],
    ['reset', renderNewPasswordPage({ ...base, action: '/reset', csrfToken: 't', token: 'k', minLength: 9, account: 'ada@example.com' }), 'password'],
    [
      'invitation',
      renderInvitationPage({ ...base, action: '/invitation', csrfToken: 't', token: 'k', email: 'ada@example.com', passwordMinLength: 9 }),
      'password',
    ],
    [
      'account',
      renderAccountPage({ ...accountView, actions: { ...accountActions('/account'), changePassword: '/account/password' }, details: accountDetails }),
      'new-password',
    ],
  ];
  it.each(pages)('is the new password of the %s page', (_page, html, id) => {
    // Autofocus is the page's choice, not the field's.
    expect(fieldOf(html, id).replace(' autofocus', '')).toBe(
      newPasswordField({ id, name: id === 'password' ? 'password' : 'new_password', label: labelOf(html, id), minLength: 9 }).toString(),
    );
  });
});

function labelOf(html: string, id: string): string {
  return new RegExp(`<label for="${id}">([^<]*)</label>`).exec(html)?.[1] ?? '';
}

describe('textField verbatim', () => {
  const field = (verbatim?: boolean) =>
    textField({ id: 'f', name: 'f', label: 'F', type: 'text', autocomplete: 'name', ...(verbatim !== undefined ? { verbatim } : {}) }).toString();
  it('turns off capitals and spell-check unless told the field is free text', () => {
    expect(field()).toContain('autocapitalize="none" spellcheck="false"');
    expect(field(false)).not.toMatch(/autocapitalize|spellcheck/);
  });

  it('lets names be typed as people write them on the sign-up and invitation pages', () => {
    const signUp = renderSignUpPage({
      ...base,
      action: '/signup',
      csrfToken: 't',
      client: { name: 'Notes' },
      passwordMinLength: 8,
      claims: [
        { name: 'given_name', label: 'First name' },
        { name: 'website', label: 'Website' },
      ],
      signInUrl: '/login',
    });
    const invitation = renderInvitationPage({ ...base, action: '/i', csrfToken: 't', token: 'k', email: 'ada@example.com', passwordMinLength: 8 });
    for (const [html, id] of [
      [signUp, 'name'],
      [signUp, 'claim-given_name'],
      [invitation, 'name'],
    ] as const)
      expect(fieldOf(html, id), id).not.toMatch(/autocapitalize|spellcheck/);
    expect(fieldOf(signUp, 'email')).toContain('autocapitalize="none"');
    expect(fieldOf(signUp, 'claim-website')).toContain('autocapitalize="none"');
  });
});

describe('powForm', () => {
  const content = '';
  it('without a proof of work is a plain form', () => {
    const html = powForm({ action: '/f', csrfToken: 't', content, pow: undefined }).toString();
    expect(html).not.toMatch(/data-pow|pow-status|noscript/);
  });

  it('with one: data-pow, the empty hidden pow, the live status line the script writes to and a note without JavaScript', () => {
    const html = powForm({
      action: '/f',
      csrfToken: 't',
      hiddenFields: { a: 'b' },
      content,
      pow: { challengeUrl: '/pow/challenge', scriptUrl: '/assets/pow.js' },
    }).toString();
    const [form] = tags(html, 'form');
    expect([attr(form!, 'data-pow'), attr(form!, 'data-pow-status')]).toEqual(['/pow/challenge', 'pow-status']);
    // The words pow.js writes in the status line, in the page's language.
    expect([attr(form!, 'data-pow-checking'), attr(form!, 'data-pow-done')]).toEqual(['Checking your browser…', 'Done. Sending…']);
    expect(tags(html, 'input').map((input) => [attr(input, 'name'), attr(input, 'value')])).toEqual([
      ['a', 'b'],
      ['pow', ''],
      ['csrf', 't'],
    ]);
    expect(html).toContain('<p class="pow-status" id="pow-status" role="status" aria-live="polite"></p>');
    expect(html).toContain('<noscript><p class="note center">This form needs JavaScript to check your browser before it is sent.</p></noscript>');
  });
});

describe('the shared fields in the page’s language', () => {
  const de = compileMessages().translator('de');

  it('say "(optional)", the new password’s rule and the code’s pattern in German', () => {
    expect(textField({ id: 'n', name: 'n', label: 'Name', type: 'text', autocomplete: 'name', optional: true, i18n: de }).toString()).toContain(
      '<span class="optional">(optional)</span>',
    );
    expect(newPasswordField({ id: 'pw', name: 'password', label: 'Passwort', minLength: 10, i18n: de }).toString()).toContain(
      '>Mindestens 10 Zeichen. Einige Wörter ohne Zusammenhang ergeben zusammen ein starkes Passwort.</p>',
    );
    expect(newPasswordHint(1, compileMessages().translator('fr'))).toMatch(/^Au moins 1 caractère\./);
    expect(codeField({ id: 'c', label: 'Code', kind: 'otp', i18n: de }).toString()).toContain('title="6 Ziffern"');
    expect(powForm({ action: '/x', csrfToken: 't', content: '', pow: { challengeUrl: '/pow', scriptUrl: '/pow.js' }, i18n: de }).toString()).toContain(
      'Dieses Formular braucht JavaScript',
    );
  });
});

describe('a form shown again after an error', () => {
  const error = 'That did not work.';
  const form = { action: '/f', csrfToken: 't' };
  const client = { name: 'Notes' };
  const pages: [string, string][] = [
    ['login', renderLoginPage({ ...base, ...form, client, error: { text: error } })],
    ['login, the username filled in again', renderLoginPage({ ...base, ...form, client, loginHint: 'ada', error: { text: error } })],
    ['second factor', renderMfaChallengePage({ ...base, ...form, client, error, methods: { totp: true, recoveryCodes: true, passkey: false, contacts: [] } })],
    ['sign-up', renderSignUpPage({ ...base, ...form, client, error, errorField: 'name', passwordMinLength: 9, claims: [], signInUrl: '/login' })],
    ['forgot password', renderForgotPasswordPage({ ...base, ...form, error })],
    ['new password', renderNewPasswordPage({ ...base, ...form, token: 'k', minLength: 9, account: 'ada@example.com', error })],
    ['invitation', renderInvitationPage({ ...base, ...form, token: 'k', email: 'ada@example.com', passwordMinLength: 9, error })],
    ['email code', renderEmailCodePage({ ...base, ...form, resendAction: '/r', passwordUrl: '/login', client, error })],
    ['verify email', renderVerifyEmailPage({ ...base, ...form, resendAction: '/r', masked: 'a•••@example.com', error })],
    ['contact', renderContactVerifyPage({ ...base, ...form, factorId: 'f', masked: '+44 ••• 123', error })],
    ['device', renderDeviceCodePage({ ...base, ...form, userCode: 'BDWP-HQPK', error })],
    ['new email address', renderEmailConfirmPage({ ...base, ...form, mode: 'code', address: 'ada@example.org', accountUrl: '/account', error })],
    ['delete account', renderDeleteAccountPage({ ...base, ...form, email: 'ada@example.com', askPassword: true, graceDays: 0, accountUrl: '/account', error })],
  ];

  // No script needed: the browser focuses the field on load, and a screen reader reads the alert
  // as the field's description.
  it.each(pages)('%s: the field in error takes the focus, is invalid and is described by the alert', (_page, html) => {
    const focused = tags(html, 'input').filter((input) => /\sautofocus\b/.test(input));
    expect(focused).toHaveLength(1);
    const [field = ''] = focused;
    expect(attr(field, 'aria-invalid')).toBe('true');
    const alertId = attr(field, 'aria-describedby')?.split(' ').at(-1) ?? '';
    expect(html).toMatch(new RegExp(`<div class="alert" id="${alertId}" role="alert">[\\s\\S]*?${error}`));
  });
});

describe('the account page after an error', () => {
  const view = { ...accountView, actions: { ...accountActions('/account'), updateProfile: '/account/profile' } };
  const details = accountDetails;

  it('a profile field in error takes the focus (the first of them), invalid and described by its error', () => {
    const html = renderAccountPage({
      ...view,
      error: 'Check the fields.',
      details: { ...details, fieldErrors: { zoneinfo: 'Not a zone.', locale: 'Not a tag.' } },
    });
    const focused = tags(html, 'input').filter((input) => /\sautofocus\b/.test(input));
    expect(focused.map((input) => attr(input, 'name'))).toEqual(['locale']);
    expect(attr(focused[0]!, 'aria-invalid')).toBe('true');
    expect(attr(focused[0]!, 'aria-describedby')).toContain('profile-locale-error');
    expect(html).not.toMatch(/role="alert" tabindex="-1" autofocus/);
  });

  it('an error of a form with no field to blame (a wrong password, too many codes): the alert itself takes the focus', () => {
    const html = renderAccountPage({ ...view, error: 'That did not work.', details });
    expect(html).toContain('<div class="alert" id="account-error" role="alert" tabindex="-1" autofocus>');
    expect(tags(html, 'input').filter((input) => /\sautofocus\b/.test(input))).toEqual([]);
  });
});
