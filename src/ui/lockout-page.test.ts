import { describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING, renderLockoutPage, type LockoutPageView } from './index.js';
import { attr, tags } from './testing/all-pages.js';
import { text } from './testing/mfa-fixtures.js';

const view: LockoutPageView = {
  branding: DEFAULT_BRANDING,
  nonce: 'n0nce',
  reason: 'account',
  retryAt: { text: '14:35 UTC', iso: '2025-03-12T14:35:00.000Z', exact: '12 March 2025, 14:35 UTC' },
  retryIn: '15 minutes',
  anotherAccountUrl: '/interaction/abc',
};

describe('renderLockoutPage', () => {
  it('is "Too many attempts" and says when to try again, as a time', () => {
    const html = renderLockoutPage(view);
    expect(tags(html, 'h1')).toHaveLength(1);
    expect(html).toContain('<h1>Too many attempts</h1>');
    expect(text(html)).toContain('You can try again at 14:35 UTC, in about 15 minutes.');
    expect(html).toContain('<time datetime="2025-03-12T14:35:00.000Z" title="12 March 2025, 14:35 UTC">14:35 UTC</time>');
  });

  it('offers "Use another account" back to the sign-in request, for a limit on one account', () => {
    const html = renderLockoutPage(view);
    expect(text(html)).toContain('too many sign-in attempts for this account');
    const anchors = html.match(/<a\b[^>]*>[\s\S]*?<\/a>/g) ?? [];
    expect(anchors.map((a) => [attr(a, 'href'), text(a)])).toEqual([['/interaction/abc', 'Use another account']]);
  });

  it('offers no other account when the whole network is limited (another account would be refused too)', () => {
    const html = renderLockoutPage({ ...view, reason: 'network' });
    expect(text(html)).toContain('too many requests from your network');
    expect(tags(html, 'a')).toHaveLength(0);
  });

  it('has a place for "Forgot your password?" (issue 17), shown when a URL is given', () => {
    const html = renderLockoutPage({ ...view, forgotPasswordUrl: '/password/forgot' });
    const anchors = html.match(/<a\b[^>]*>[\s\S]*?<\/a>/g) ?? [];
    expect(anchors.map((a) => text(a))).toEqual(['Use another account', 'Forgot your password?']);
    expect(renderLockoutPage(view)).not.toContain('Forgot');
  });

  it('has no form and no script, only links', () => {
    const html = renderLockoutPage(view);
    expect(tags(html, 'form')).toHaveLength(0);
    expect(tags(html, 'script')).toHaveLength(0);
  });

  it('escapes what it is given and never links to a javascript: URL', () => {
    const hostile = '<script>alert(1)</script>" onmouseover="x';
    const html = renderLockoutPage({
      ...view,
      retryAt: { text: hostile, iso: hostile, exact: hostile },
      retryIn: hostile,
      anotherAccountUrl: 'javascript:alert(1)',
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('" onmouseover="');
    expect(tags(html, 'a')).toHaveLength(0);
  });
});
