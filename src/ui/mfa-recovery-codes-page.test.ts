import { describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING, renderRecoveryCodesPage } from './index.js';
import { attr, tags } from './testing/all-pages.js';
import { forms, hiddenFields, RECOVERY_CODES } from './testing/mfa-fixtures.js';

const view = {
  branding: DEFAULT_BRANDING,
  nonce: 'n',
  codes: RECOVERY_CODES,
  continueAction: '/interaction/abc/continue',
  csrfToken: 'tok',
  continueLabel: 'I have saved my codes, continue',
};

describe('renderRecoveryCodesPage', () => {
  it('shows all ten codes, in order, in the monospace list', () => {
    const html = renderRecoveryCodesPage(view);
    const list = /<ul class="recovery-codes" id="recovery-codes"[^>]*>([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
    expect([...list.matchAll(/<li><code>([^<]*)<\/code><\/li>/g)].map((m) => m[1])).toEqual(RECOVERY_CODES);
    expect(html).toContain('Keep them somewhere safe');
  });

  it('offers a Download link whose data: URL holds every code, one per line, with no script', () => {
    const html = renderRecoveryCodesPage(view);
    const link = tags(html, 'a').find((tag) => attr(tag, 'download') !== undefined) ?? '';
    expect(attr(link, 'download')).toBe('recovery-codes.txt');
    const href = attr(link, 'href') ?? '';
    expect(href.startsWith('data:text/plain;charset=utf-8,')).toBe(true);
    const file = decodeURIComponent(href.slice(href.indexOf(',') + 1));
    expect(file.split('\n')).toEqual(expect.arrayContaining(RECOVERY_CODES));
    expect(file.startsWith('Gatehouse recovery codes\n')).toBe(true);
    expect(html).toMatch(/<span>Download<\/span><\/a>/);
    expect(tags(html, 'script')).toHaveLength(0);
  });

  it('keeps a hostile code from breaking out of the download link', () => {
    const html = renderRecoveryCodesPage({ ...view, codes: ['"><script>alert(1)</script>'] });
    expect(html).not.toContain('<script>');
    const link = tags(html, 'a').find((tag) => attr(tag, 'download') !== undefined) ?? '';
    expect(decodeURIComponent(attr(link, 'href') ?? '')).toContain('"><script>alert(1)</script>');
  });

  it('continues with a CSRF-carrying form', () => {
    const html = renderRecoveryCodesPage(view);
    const [form] = forms(html);
    expect(attr(form ?? '', 'action')).toBe('/interaction/abc/continue');
    expect(hiddenFields(form ?? '')).toEqual({ csrf: 'tok' });
    expect(form).toMatch(/>I have saved my codes, continue<\/button>/);
  });
});
