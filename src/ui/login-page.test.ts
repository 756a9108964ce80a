import { describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING, renderLoginPage } from './index.js';
import { englishMessages } from './i18n/index.js';
import { attr, tags } from './testing/all-pages.js';

const base = { branding: DEFAULT_BRANDING, nonce: 'n', action: '/login', csrfToken: 't', i18n: englishMessages() };

function input(html: string, name: string): string {
  return tags(html, 'input').find((tag) => attr(tag, 'name') === name) ?? '';
}

describe('renderLoginPage', () => {
  it('asks for username and password with the autocomplete hints password managers need', () => {
    const html = renderLoginPage({ ...base, client: { name: 'Acme' }, loginHint: 'ada@example.com' });
    const username = input(html, 'username');
    const password = input(html, 'password');
    expect(attr(username, 'autocomplete')).toBe('username');
    expect(attr(username, 'value')).toBe('ada@example.com');
    expect(username).toMatch(/\sautofocus\b/);
    expect(attr(password, 'type')).toBe('password');
    expect(attr(password, 'autocomplete')).toBe('current-password');
    expect(password).not.toMatch(/\svalue=/);
    expect(html).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
    expect(html).toContain('to continue to <strong>Acme</strong>');
    expect(html).not.toContain('role="alert"');
  });

  it('shows an error in an alert above the form, and puts the focus on the first field, which points at it', () => {
    const html = renderLoginPage({ ...base, client: { name: 'Acme' }, error: 'login.error.incorrect' });
    expect(html).toMatch(/<div class="alert" id="login-error" role="alert">[\s\S]*The username or password is incorrect\.[\s\S]*<\/div><form/);
    expect(input(html, 'username')).toMatch(/\sautofocus\b/);
    expect(attr(input(html, 'username'), 'aria-invalid')).toBe('true');
    expect(attr(input(html, 'username'), 'aria-describedby')).toBe('login-error');
  });

  it('shows the client logo next to its name when it has one', () => {
    const html = renderLoginPage({ ...base, client: { name: 'Acme', logoUri: 'https://acme.example/logo.png' } });
    expect(html).toContain('<img class="client-logo" src="https://acme.example/logo.png" alt="">');
  });
});
