import { describe, expect, it } from 'vitest';
import { englishMessages } from './i18n/index.js';
import { DEFAULT_BRANDING, faviconSvg, renderHomePage, type HomePageView } from './index.js';
import { attr, tags } from './testing/all-pages.js';
import { text } from './testing/mfa-fixtures.js';

const view: HomePageView = {
  branding: DEFAULT_BRANDING,
  nonce: 'n0nce',
  i18n: englishMessages(),
  issuer: 'https://id.example.com/auth',
  accountUrl: 'https://id.example.com/auth/account',
  discoveryUrl: 'https://id.example.com/auth/.well-known/openid-configuration',
  documentationUrl: 'https://www.npmjs.com/package/gatehouse',
};

const links = (html: string) => tags(html, 'a').map((tag) => attr(tag, 'href'));

describe('renderHomePage', () => {
  it('says what the service is: the product’s sign-in service', () => {
    const html = renderHomePage(view);
    expect(tags(html, 'h1')).toHaveLength(1);
    expect(html).toContain('<h1>Gatehouse <span class="nowrap">sign-in service</span></h1>');
    expect(html).toContain('<title>Sign-in service – Gatehouse</title>');
    expect(renderHomePage({ ...view, branding: { productName: 'Acme ID', primaryColor: '#0f766e' } })).toContain(
      '<h1>Acme ID <span class="nowrap">sign-in service</span></h1>',
    );
  });

  it('links to the account page, the discovery document and the documentation', () => {
    const html = renderHomePage(view);
    expect(links(html)).toEqual([view.accountUrl, view.discoveryUrl, view.documentationUrl]);
    const anchors = html.match(/<a\b[^>]*>[\s\S]*?<\/a>/g) ?? [];
    expect(anchors.map(text)).toEqual(['Sign in to your account', 'Discovery document', 'Documentation']);
    expect(text(html)).toContain('Issuer: https://id.example.com/auth');
  });

  it('says who is signed in in this browser, and offers to manage the account', () => {
    const html = renderHomePage({ ...view, account: { name: 'Ada Lovelace', login: 'ada@example.com' } });
    expect(html).toContain(
      '<span class="account-label">Signed in as</span><span class="account-name">Ada Lovelace</span><span class="account-login">ada@example.com</span>',
    );
    expect(html).toMatch(/<a class="button button-primary submit" href="https:\/\/id\.example\.com\/auth\/account">Manage your account<\/a>/);
    expect(renderHomePage(view)).not.toContain('Signed in as');
  });

  it('has a heading for the developer links and no form or script', () => {
    const html = renderHomePage(view);
    expect(html).toMatch(/<section class="home-developers" aria-labelledby="developers-heading"><h2 id="developers-heading"[^>]*>For developers<\/h2>/);
    expect(tags(html, 'form')).toHaveLength(0);
    expect(tags(html, 'script')).toHaveLength(0);
  });

  it('escapes every value it shows and links only to http(s)', () => {
    const hostile = '<script>alert(1)</script>" onmouseover="x';
    const html = renderHomePage({
      ...view,
      branding: { ...DEFAULT_BRANDING, productName: hostile },
      issuer: hostile,
      accountUrl: `https://id.example/account?${hostile}`,
      discoveryUrl: 'javascript:alert(1)',
      documentationUrl: 'data:text/html,<b>x</b>',
      account: { name: hostile, login: hostile },
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('" onmouseover="');
    expect(links(html)).toEqual([`https://id.example/account?${hostile}`]);
    expect(html).toContain('<h1>&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x <span class="nowrap">sign-in service</span></h1>');
  });
});

describe('faviconSvg', () => {
  it('is the header’s brand mark: the initial on the primary colour, text colour for contrast', () => {
    const svg = faviconSvg(DEFAULT_BRANDING);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"')).toBe(true);
    expect(svg).toContain('fill="#2f5bea"');
    expect(svg).toMatch(/<text [^>]*fill="#ffffff"[^>]*>G<\/text><\/svg>$/);
    const light = faviconSvg({ productName: 'yellowstone', primaryColor: '#ffd400' });
    expect(light).toMatch(/<text [^>]*fill="#111318"[^>]*>Y<\/text>/);
  });

  it('never writes an unchecked colour or unescaped letter into the document', () => {
    const svg = faviconSvg({ productName: '<b>', primaryColor: 'red"/><script>alert(1)</script>' });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain(`fill="${DEFAULT_BRANDING.primaryColor}"`);
    expect(svg).toContain('>&lt;</text>');
  });
});
