import { describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING, renderMfaEnrollPage, type MfaEnrollPageView } from './index.js';
import { attr, tags } from './testing/all-pages.js';
import { forms, hiddenFields, QR_SVG } from './testing/mfa-fixtures.js';

const view: MfaEnrollPageView = {
  branding: DEFAULT_BRANDING,
  nonce: 'n',
  action: '/account/totp/confirm',
  csrfToken: 'tok',
  qrSvg: QR_SVG,
  secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  required: false,
};

describe('renderMfaEnrollPage', () => {
  it('shows the QR code and the setup key in groups of four, with a label', () => {
    const html = renderMfaEnrollPage(view);
    expect(html).toContain('<h1 class="long">Set up <span class="nowrap">two-step</span> verification</h1>');
    expect(html).toContain('<title>Set up two-step verification – Gatehouse</title>');
    expect(html).toContain(QR_SVG);
    expect(html).toMatch(
      /<dl class="secret"><dt>Can’t scan it\? Enter this setup key instead:<\/dt><dd><code>JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP<\/code><\/dd><\/dl>/,
    );
  });

  it('posts the first code with the CSRF token, and "Verify and turn on"', () => {
    const html = renderMfaEnrollPage(view);
    const [form] = forms(html);
    expect(attr(form ?? '', 'action')).toBe('/account/totp/confirm');
    expect(hiddenFields(form ?? '')).toEqual({ csrf: 'tok' });
    const code = tags(html, 'input').find((tag) => attr(tag, 'name') === 'code') ?? '';
    expect(attr(code, 'autocomplete')).toBe('one-time-code');
    expect(attr(code, 'inputmode')).toBe('numeric');
    expect(html).toMatch(/<button type="submit" class="button button-primary">Verify and turn on<\/button>/);
  });

  it('says the application requires it when it is required, and nothing when it is not', () => {
    expect(renderMfaEnrollPage(view)).not.toContain('requires');
    expect(renderMfaEnrollPage({ ...view, required: true })).toContain('Your account requires two-step verification. Set it up to continue.');
    const withClient = renderMfaEnrollPage({ ...view, required: true, client: { name: 'Acme' } });
    expect(withClient).toContain('<strong>Acme</strong> requires two-step verification.');
    expect(withClient).toContain('to continue to <strong>Acme</strong>');
  });

  it('shows an error the code field points at', () => {
    const html = renderMfaEnrollPage({ ...view, error: 'That code did not work.' });
    expect(html).toMatch(/<div class="alert" id="enroll-error" role="alert">/);
    const code = tags(html, 'input').find((tag) => attr(tag, 'name') === 'code') ?? '';
    expect(attr(code, 'aria-describedby')).toBe('enroll-error');
    expect(attr(code, 'aria-invalid')).toBe('true');
  });
});
