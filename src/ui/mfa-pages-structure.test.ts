import { describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING } from './index.js';
import { attr, tags } from './testing/all-pages.js';
import { forms, hiddenFields, renderMfaPages, visibleControls } from './testing/mfa-fixtures.js';

const NONCE = 'rAnd0mN0nce';
const URL = '/interaction/abc';
const pages = renderMfaPages({ branding: DEFAULT_BRANDING, nonce: NONCE, text: 'Acme Photos', url: URL });

describe.each(pages.map((page) => [page.name, page] as const))('%s page', (_name, page) => {
  const { html } = page;

  it('is a complete branded document with one <h1> and one nonce-carrying stylesheet', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toMatch(/<html lang="en" dir="ltr">/);
    expect(html).toMatch(/<title>[^<]+ – Gatehouse<\/title>/);
    expect(tags(html, 'h1')).toHaveLength(1);
    const styles = tags(html, 'style');
    expect(styles).toHaveLength(1);
    expect(attr(styles[0] ?? '', 'nonce')).toBe(NONCE);
    expect(html).not.toMatch(/\sstyle=/i);
  });

  it('labels every input and select, and uses each id once', () => {
    const controls = visibleControls(html);
    for (const control of controls) {
      const id = attr(control, 'id');
      expect(id, control).toBeTruthy();
      expect(html, control).toContain(`<label for="${id}">`);
    }
    const ids = tags(html, '[a-z]+')
      .map((tag) => attr(tag, 'id'))
      .filter(Boolean);
    expect(new Set(ids).size).toBe(ids.length);
    // Every aria-describedby points at something that exists.
    for (const tag of tags(html, '[a-z]+').filter((t) => attr(t, 'aria-describedby'))) {
      for (const ref of (attr(tag, 'aria-describedby') ?? '').split(' ')) expect(ids, tag).toContain(ref);
    }
  });

  it('posts every form with method="post" and exactly one CSRF field', () => {
    const all = forms(html);
    expect(all.length).toBeGreaterThan(0);
    expect(tags(html, 'form')).toHaveLength(all.length);
    for (const form of all) {
      expect(form).toMatch(new RegExp(`^<form method="post" action="${URL}[^"]*"`));
      const csrf = tags(form, 'input').filter((tag) => attr(tag, 'name') === 'csrf');
      expect(csrf, form).toHaveLength(1);
      expect(attr(csrf[0] ?? '', 'type')).toBe('hidden');
      expect(hiddenFields(form).csrf).toBe('Acme Photos');
    }
  });

  it(`has ${page.scripts} scripts, each carrying the nonce`, () => {
    const scripts = tags(html, 'script');
    expect(scripts).toHaveLength(page.scripts);
    for (const script of scripts) expect(attr(script, 'nonce')).toBe(NONCE);
    const markup = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
    expect(markup).not.toMatch(/\son[a-z]+=/i);
    expect(markup).not.toMatch(/javascript:/i);
  });
});
