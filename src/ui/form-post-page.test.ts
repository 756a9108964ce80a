import { describe, expect, it } from 'vitest';
import { renderFormPostPage } from './index.js';
import { attr, tags } from './testing/all-pages.js';

describe('renderFormPostPage', () => {
  const fields = { code: 'SplxlOBeZQQYbYS6WxSbIA', state: 'af0ifjsldkj', iss: 'https://id.example' };
  const html = renderFormPostPage({ nonce: 'n0nce', action: 'https://client.example/cb', fields });

  it('posts every field as a hidden input to the redirect URI', () => {
    const forms = tags(html, 'form');
    expect(forms).toEqual(['<form method="post" action="https://client.example/cb">']);
    const hidden = Object.fromEntries(
      tags(html, 'input')
        .filter((tag) => attr(tag, 'type') === 'hidden')
        .map((tag): [string, string | undefined] => [attr(tag, 'name') ?? '', attr(tag, 'value')]),
    );
    expect(hidden).toEqual(fields);
  });

  it('submits itself with a nonce-carrying script', () => {
    expect(html).toContain('<script nonce="n0nce">document.forms[0].submit();</script>');
    expect(tags(html, 'script')).toHaveLength(1);
    expect(attr(tags(html, 'style')[0] ?? '', 'nonce')).toBe('n0nce');
  });

  it('offers a Continue button when JavaScript is off', () => {
    expect(html).toMatch(/<noscript>[\s\S]*<button type="submit">Continue<\/button>[\s\S]*<\/noscript>/);
  });
});
