import { describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING, renderAccountPage, renderMfaChallengePage, renderMfaEnrollPage } from './index.js';
import { attr, tags } from './testing/all-pages.js';
import { accountActions, hiddenFields, forms, QR_SVG, renderMfaPages } from './testing/mfa-fixtures.js';

const SCRIPT = '<script>alert(1)</script>';
const BREAKOUT = '" onmouseover="x';
const HOSTILE = `${SCRIPT}${BREAKOUT}`;
const base = { branding: DEFAULT_BRANDING, nonce: 'n' };

describe('every verification and account page escapes what it is given', () => {
  const pages = renderMfaPages({
    branding: { productName: HOSTILE, logoUrl: `https://cdn.example/logo.png${BREAKOUT}`, primaryColor: '#2f5bea' },
    nonce: BREAKOUT,
    text: HOSTILE,
    url: `https://app.example/x?a=1&b=${BREAKOUT}`,
  });

  it.each(pages.map((page) => [page.name, page.html] as const))('%s', (_name, html) => {
    expect(html).not.toContain(SCRIPT);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(BREAKOUT);
    expect(html).not.toMatch(/\sonmouseover="/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('keeps hostile values intact in the hidden fields they were given to', () => {
    const challenge = pages.find((page) => page.name === 'mfa challenge, code sent, error')?.html ?? '';
    const contact = forms(challenge).find((form) => hiddenFields(form).method === 'contact') ?? '';
    expect(hiddenFields(contact)).toEqual({ method: 'contact', factor: HOSTILE, csrf: HOSTILE });
    const account = pages.find((page) => page.name === 'account')?.html ?? '';
    const remove = forms(account).filter((form) => form.includes('/factors/remove'));
    expect(remove.map((form) => hiddenFields(form).factor)).toEqual([HOSTILE, `${HOSTILE}2`]);
  });

  it('escapes the passkey URLs and CSRF token in the attributes the script reads', () => {
    const html = renderMfaChallengePage({
      ...base,
      action: '/mfa',
      csrfToken: HOSTILE,
      client: { name: 'Acme' },
      methods: { totp: false, recoveryCodes: false, passkey: true, contacts: [] },
      passkey: { optionsUrl: `/o${BREAKOUT}`, verifyUrl: `/v${BREAKOUT}`, scriptUrl: '/w.js' },
    });
    const form = tags(html, 'form')[0] ?? '';
    expect(attr(form, 'action')).toBe(`/o${BREAKOUT}`);
    expect(attr(form, 'data-verify-url')).toBe(`/v${BREAKOUT}`);
    // The ceremony script is a constant: nothing from the view model is written into it.
    const inline = /<script nonce="n">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(inline).not.toContain('/o');
    expect(inline).not.toContain('alert');
  });
});

describe('the QR code', () => {
  it('is embedded as the trusted SVG it is, while a hostile client name next to it is escaped', () => {
    const html = renderMfaEnrollPage({
      ...base,
      action: '/enroll',
      csrfToken: 't',
      client: { name: SCRIPT },
      qrSvg: QR_SVG,
      secret: 'JBSWY3DPEHPK3PXP',
      required: true,
    });
    expect(html).toContain(QR_SVG);
    expect(html).not.toContain(SCRIPT);
    expect(html).toContain('<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong> requires two-step verification');
  });

  it('sits in a figure named by its heading, as an image with a text alternative', () => {
    const html = renderMfaEnrollPage({ ...base, action: '/enroll', csrfToken: 't', qrSvg: QR_SVG, secret: 'JBSWY3DPEHPK3PXP', required: false });
    const figure = tags(html, 'figure')[0] ?? '';
    const labelledBy = attr(figure, 'aria-labelledby') ?? '';
    expect(html).toMatch(new RegExp(`<h2 class="step-title" id="${labelledBy}">Scan this QR code with the app</h2>`));
    expect(html).toMatch(/<figure[^>]*><div class="qr-code" role="img" aria-label="[^"]+"><svg /);
  });
});

describe('a factor label containing <script> on the account page', () => {
  it('is escaped in the list and in the hidden part of its Remove button', () => {
    const html = renderAccountPage({
      ...base,
      csrfToken: 't',
      account: { login: 'ada@example.com' },
      factors: [{ id: 'f1', type: 'webauthn', label: SCRIPT, createdAt: '1 May 2025' }],
      recoveryCodesLeft: 10,
      sessions: [],
      signIns: [],
      actions: accountActions('/account'),
    });
    expect(html).not.toContain(SCRIPT);
    expect(html).toContain('<span class="row-title">&lt;script&gt;alert(1)&lt;/script&gt;</span>');
    expect(html).toContain('Remove<span class="visually-hidden"> &lt;script&gt;alert(1)&lt;/script&gt;</span>');
  });
});

describe('unsafe script URLs', () => {
  it.each(['javascript:alert(1)', 'data:text/javascript,alert(1)'])('never load %j: the passkey option is left out', (scriptUrl) => {
    const challenge = renderMfaChallengePage({
      ...base,
      action: '/mfa',
      csrfToken: 't',
      client: { name: 'Acme' },
      methods: { totp: true, recoveryCodes: false, passkey: true, contacts: [] },
      passkey: { optionsUrl: '/o', verifyUrl: '/v', scriptUrl },
    });
    expect(tags(challenge, 'script')).toHaveLength(0);
    expect(challenge).not.toContain('passkey-button');
    const account = renderAccountPage({
      ...base,
      csrfToken: 't',
      account: { login: 'a' },
      factors: [],
      recoveryCodesLeft: undefined,
      sessions: [],
      signIns: [],
      actions: { ...accountActions('/account'), passkeyScriptUrl: scriptUrl },
    });
    expect(tags(account, 'script')).toHaveLength(0);
    expect(account).not.toContain('add-passkey');
  });
});
