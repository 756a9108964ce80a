import { describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING, renderErrorPage, renderLogoutConfirmPage, renderSelectAccountPage, renderSignedOutPage } from './index.js';
import { attr, tags } from './testing/all-pages.js';

const base = { branding: DEFAULT_BRANDING, nonce: 'n' };

describe('renderSelectAccountPage', () => {
  it('offers the current account or another one', () => {
    const html = renderSelectAccountPage({
      ...base,
      action: '/select',
      csrfToken: 't',
      client: { name: 'Acme' },
      account: { login: 'ada@example.com' },
    });
    expect(html).toContain('Choose an account');
    expect(html).toContain('to continue to <strong>Acme</strong>');
    const buttons = tags(html, 'button');
    expect(buttons.map((b) => [attr(b, 'name'), attr(b, 'value')])).toEqual([
      ['choice', 'current'],
      ['choice', 'other'],
    ]);
    expect(html).toMatch(/Continue as<\/span><span class="account-name">ada@example\.com<\/span>/);
    expect(html).toContain('Use another account');
  });
});

describe('renderErrorPage', () => {
  it('shows the title, the message and the reference, and nothing else', () => {
    const html = renderErrorPage({ ...base, title: 'Something went wrong', message: 'Please try again.', requestId: 'req-42' });
    expect(html).toContain('<h1>Something went wrong</h1>');
    expect(html).toContain('Please try again.');
    expect(html).toContain('Reference: <code>req-42</code>');
    expect(html).toContain('<title>Something went wrong – Gatehouse</title>');
  });

  it('leaves out the reference when there is no request id', () => {
    expect(renderErrorPage({ ...base, title: 'Oops', message: 'Try again.' })).not.toContain('Reference');
  });
});

describe('renderLogoutConfirmPage', () => {
  it('asks before signing out and carries every hidden field through', () => {
    const html = renderLogoutConfirmPage({
      ...base,
      action: '/logout',
      csrfToken: 't',
      clientName: 'Acme',
      hiddenFields: { post_logout_redirect_uri: 'https://acme.example/bye', state: 'xyz' },
    });
    expect(html).toContain('Sign out of Gatehouse?');
    expect(html).toContain('requested by <strong>Acme</strong>');
    const hidden = Object.fromEntries(
      tags(html, 'input')
        .filter((tag) => attr(tag, 'type') === 'hidden')
        .map((tag): [string, string | undefined] => [attr(tag, 'name') ?? '', attr(tag, 'value')]),
    );
    expect(hidden).toEqual({ post_logout_redirect_uri: 'https://acme.example/bye', state: 'xyz', csrf: 't' });
    expect(tags(html, 'button').map((b) => [attr(b, 'name'), attr(b, 'value')])).toEqual([
      ['decision', 'stay'],
      ['decision', 'logout'],
    ]);
    expect(html).toMatch(/value="logout">Sign out<\/button>/);
    expect(html).toMatch(/value="stay">Stay signed in<\/button>/);
  });

  it('does not let a hidden field named csrf replace the token', () => {
    const html = renderLogoutConfirmPage({ ...base, action: '/logout', csrfToken: 'real', hiddenFields: { csrf: 'forged' } });
    const csrf = tags(html, 'input').filter((tag) => attr(tag, 'name') === 'csrf');
    expect(csrf.map((tag) => attr(tag, 'value'))).toEqual(['real']);
  });
});

describe('renderSignedOutPage', () => {
  it('confirms the sign-out', () => {
    const html = renderSignedOutPage(base);
    expect(html).toContain('<h1>You are signed out</h1>');
    expect(tags(html, 'form')).toHaveLength(0);
  });
});
