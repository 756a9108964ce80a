import { describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING, escapeHtml } from './index.js';
import { attr, renderAllPages, tags } from './testing/all-pages.js';

const SCRIPT = '<script>alert(1)</script>';
const BREAKOUT = '" onmouseover="x';

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe('every page escapes what it is given', () => {
  const pages = renderAllPages({
    branding: { productName: `${SCRIPT}${BREAKOUT}`, logoUrl: `https://cdn.example/logo.png${BREAKOUT}`, primaryColor: '#2f5bea' },
    nonce: BREAKOUT,
    text: `${SCRIPT}${BREAKOUT}`,
    url: `https://app.example/cb?a=1&b=${BREAKOUT}`,
  });

  it.each(pages.map((page) => [page.name, page.html] as const))('%s', (_name, html) => {
    expect(html).not.toContain(SCRIPT);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(BREAKOUT);
    expect(html).not.toMatch(/\sonmouseover="/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('keeps the hostile value intact inside the attribute it was given to', () => {
    const login = pages.find((page) => page.name === 'login')?.html ?? '';
    const username = tags(login, 'input').find((tag) => attr(tag, 'name') === 'username') ?? '';
    expect(attr(username, 'value')).toBe(`${SCRIPT}${BREAKOUT}`);
  });

  it.each(['javascript:alert(1)', ' JavaScript:alert(1)', 'data:text/html,<svg onload=alert(1)>'])(
    'never links to or loads the client or brand URL %j',
    (url) => {
      for (const { html } of renderAllPages({ branding: { ...DEFAULT_BRANDING, logoUrl: url }, nonce: 'n', text: 'Acme', url })) {
        const links = [...tags(html, 'a'), ...tags(html, 'img')];
        expect(links.map((tag) => attr(tag, 'href') ?? attr(tag, 'src'))).not.toContain(url);
      }
    },
  );

  it('never writes an unchecked primary colour into the stylesheet', () => {
    const [login] = renderAllPages({
      branding: { productName: 'Acme', primaryColor: 'red}</style><script>alert(1)</script>' },
      nonce: 'n',
      text: 'Acme',
      url: '/login',
    });
    expect(login?.html).not.toContain('alert(1)');
    expect(login?.html).toContain(`--primary:${DEFAULT_BRANDING.primaryColor}`);
  });
});
