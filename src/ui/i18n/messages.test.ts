import { describe, expect, it } from 'vitest';
import { html } from '../escape.js';
import { compileMessages, directionOf } from './index.js';

const messages = compileMessages();

describe('t(): messages as markup, every placeholder escaped', () => {
  it('escapes a text placeholder: a <script> stays text', () => {
    const out = messages.translator('de').t('login.continueWith', { provider: '<script>alert(1)</script>"&' }).value;
    expect(out).toBe('Weiter mit &lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;');
  });

  it('escapes a message itself (an operator’s text with markup characters is text)', () => {
    const custom = compileMessages({ en: { 'login.title': 'Sign in & <b>go</b>' } }).translator('en');
    // <b> is a tag in ICU MessageFormat, never raw markup: one the page does not supply fails to
    // format (and a language file using a tag English lacks is refused at start, before that).
    expect(() => custom.t('login.title')).toThrow();
    const plain = compileMessages({ en: { 'login.or': 'A & B < C' } }).translator('en');
    expect(plain.t('login.or').value).toBe('A &amp; B &lt; C');
  });

  it('passes markup values and tags through as the page built them', () => {
    const { t } = messages.translator('en');
    expect(t('login.signUp', { link: (content) => html`<a href="/signup?a=1&amp;b=2">${content}</a>` }).value).toBe(
      'New here? <a href="/signup?a=1&amp;b=2">Create an account</a>',
    );
    expect(t('error.reference', { id: '<x>' }).value).toBe('Reference: <code>&lt;x&gt;</code>');
    expect(t('client.continueTo', { client: html`<strong>${'A&B'}</strong>` }).value).toBe('to continue to <strong>A&amp;B</strong>');
  });

  it('text(): plain text for contexts that escape themselves', () => {
    expect(messages.translator('fr').text('scope.other', { scope: '<x>' })).toBe('Utiliser l’autorisation «\u00a0<x>\u00a0»');
    expect(messages.translator('en').text('login.signUp')).toBe('New here? Create an account');
  });

  it('compiles each message once, and hands out one translator per language', () => {
    expect(messages.translator('ja')).toBe(messages.translator('ja'));
    expect(compileMessages()).toBe(messages);
  });

  it('a language not offered gets English', () => {
    expect(messages.translator('tlh').locale).toBe('en');
  });

  it('joins lists and formats dates as the language does', () => {
    expect(messages.translator('en').list(['a', html`<b>b</b>`, 'c<']).value).toBe('a, <b>b</b>, and c&lt;');
    expect(messages.translator('ja').list(['a', 'b']).value).toBe('a、b');
    const date = Date.UTC(2026, 11, 7, 16, 5);
    expect(messages.translator('de').date(date)).toBe('07.12.2026');
    expect(messages.translator('en').dateTime(date)).toBe('Dec 7, 2026, 4:05 PM');
    expect(messages.translator('ja').dateTime(date, 'Asia/Tokyo')).toBe('2026/12/08 1:05');
  });

  it('formats numbers as the language does', () => {
    expect(messages.translator('en').number(10_000)).toBe('10,000');
    expect(messages.translator('de').number(10_000)).toBe('10.000');
    expect(messages.translator('fr').number(1205)).toBe('1\u202f205');
  });

  it('knows which languages are written right to left', () => {
    expect(messages.translator('ar').dir).toBe('rtl');
    expect(['ar', 'he', 'fa', 'ur', 'az-Arab'].map(directionOf)).toEqual(['rtl', 'rtl', 'rtl', 'rtl', 'rtl']);
    expect(['en', 'ja', 'pt-BR', 'ku-Latn', 'not a tag'].map(directionOf)).toEqual(['ltr', 'ltr', 'ltr', 'ltr', 'ltr']);
  });

  it('lists every language by its own name, for the switcher', () => {
    expect(messages.translator('de').languages.map(({ name }) => name)).toEqual([
      'English',
      'Deutsch',
      'Français',
      'Español',
      'Português (Brasil)',
      '日本語',
      'العربية',
    ]);
  });
});
