import { describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING } from './index.js';
import { compileMessages } from './i18n/index.js';
import { attr, renderAllPages, tags } from './testing/all-pages.js';

const NONCE = 'rAnd0mN0nce';
const pages = renderAllPages({ branding: DEFAULT_BRANDING, nonce: NONCE, text: 'Acme Photos', url: '/interaction/abc' });
const cases = pages.map((page) => [page.name, page] as const);

describe.each(cases)('%s page', (_name, page) => {
  const { html } = page;

  it('is a complete document with charset, viewport, no-referrer and a language', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1">/);
    expect(html).toContain('<meta name="referrer" content="no-referrer">');
    expect(html).toMatch(/<html lang="en"( dir="ltr")?>/);
    expect(html).toMatch(/<title>[^<]+<\/title>/);
  });

  it('has exactly one stylesheet, carrying the nonce, and no inline style attributes', () => {
    const styles = tags(html, 'style');
    expect(styles).toHaveLength(1);
    expect(attr(styles[0] ?? '', 'nonce')).toBe(NONCE);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/<link\b|@import|url\(/i);
  });

  it('labels every visible input', () => {
    const inputs = tags(html, 'input').filter((tag) => attr(tag, 'type') !== 'hidden');
    for (const input of inputs) {
      const id = attr(input, 'id');
      expect(id, input).toBeTruthy();
      expect(html).toContain(`<label for="${id}">`);
    }
    const ids = tags(html, '[a-z]+')
      .map((tag) => attr(tag, 'id'))
      .filter(Boolean);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('posts every form with method="post" to the given action', () => {
    const forms = tags(html, 'form');
    for (const form of forms) expect(form).toMatch(/method="post" action="\/interaction\/abc"/);
    if (page.hasCsrfForm) {
      expect(forms).toHaveLength(1);
      const csrf = tags(html, 'input').filter((tag) => attr(tag, 'name') === 'csrf');
      expect(csrf).toHaveLength(1);
      expect(attr(csrf[0] ?? '', 'type')).toBe('hidden');
      expect(attr(csrf[0] ?? '', 'value')).toBe('Acme Photos');
    }
  });
});

describe.each(cases.filter(([, page]) => page.branded))('branded %s page', (_name, { html }) => {
  it('has one <h1>, a brand header, the product in the title, and no script', () => {
    expect(tags(html, 'h1')).toHaveLength(1);
    expect(html).toMatch(/<title>[^<]+ – Gatehouse<\/title>/);
    expect(html).toMatch(/<header class="brand">[\s\S]*Gatehouse[\s\S]*<\/header>/);
    expect(tags(html, 'script')).toHaveLength(0);
  });
});

describe('branding', () => {
  it('shows the logo with the product name as alt text when a logo is given', () => {
    const branding = { productName: 'Northwind', logoUrl: 'https://cdn.northwind.example/logo.svg', primaryColor: '#0f766e' };
    for (const page of renderAllPages({ branding, nonce: NONCE, text: 'Acme', url: '/x' }).filter((p) => p.branded)) {
      expect(page.html).toContain('<header class="brand"><img src="https://cdn.northwind.example/logo.svg" alt="Northwind"></header>');
      expect(page.html).toContain('--primary:#0f766e');
    }
  });

  it("takes lang and dir from the page's language", () => {
    const messages = compileMessages();
    const [login] = renderAllPages({ branding: DEFAULT_BRANDING, nonce: NONCE, i18n: messages.translator('de'), text: 'Acme', url: '/x' });
    expect(login?.html).toContain('<html lang="de" dir="ltr">');
    const [arabic] = renderAllPages({ branding: DEFAULT_BRANDING, nonce: NONCE, i18n: messages.translator('ar'), text: 'Acme', url: '/x' });
    expect(arabic?.html).toContain('<html lang="ar" dir="rtl">');
  });
});
