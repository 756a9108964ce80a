import { describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING, renderAccountPage, type AccountPageView } from './index.js';
import { attr, tags } from './testing/all-pages.js';
import { accountActions, forms, hiddenFields, text } from './testing/mfa-fixtures.js';

const actions = accountActions('/account');
const view: AccountPageView = {
  branding: DEFAULT_BRANDING,
  nonce: 'n0nce',
  csrfToken: 'tok',
  account: { name: 'Ada Lovelace', login: 'ada@example.com' },
  factors: [
    { id: 'f-totp', type: 'totp', label: 'Authenticator app', createdAt: '3 Mar 2025', lastUsedAt: 'today' },
    { id: 'f-key', type: 'webauthn', label: 'MacBook', createdAt: '5 Mar 2025' },
    { id: 'f-sms', type: 'sms', label: '+44 ••• 123', createdAt: '9 Apr 2025' },
  ],
  recoveryCodesLeft: 7,
  sessions: [
    { id: 's1', current: true, signedInAt: 'today, 09:12', methods: 'Password, authenticator app' },
    { id: 's2', current: false, signedInAt: '28 Apr', methods: 'Passkey' },
  ],
  signIns: [
    { at: 'today, 09:12', method: 'Password + app', client: 'Acme Photos', outcome: 'Signed in' },
    { at: '2 May', method: 'Password + SMS', outcome: 'Wrong code' },
  ],
  actions,
};

function formsTo(html: string, action: string): string[] {
  return forms(html).filter((form) => attr(form, 'action') === action);
}

/** The `<section>` whose heading is `title`. */
function section(html: string, title: string): string {
  const found = html.match(/<section\b[\s\S]*?<\/section>/g)?.find((s) => s.includes(`>${title}</h2>`));
  expect(found, title).toBeDefined();
  return found ?? '';
}

describe('renderAccountPage', () => {
  it('is "Your account", with who is signed in and a sign-out form', () => {
    const html = renderAccountPage(view);
    expect(html).toContain('<h1>Your account</h1>');
    expect(html).toContain('<span class="account-name">Ada Lovelace</span><span class="account-login">ada@example.com</span>');
    const [signOut] = formsTo(html, actions.signOut);
    expect(hiddenFields(signOut ?? '')).toEqual({ csrf: 'tok' });
    expect(text(signOut ?? '')).toBe('Sign out');
  });

  it('lists each factor with its kind and dates and a Remove form posting its id', () => {
    const mfa = section(renderAccountPage(view), 'Two-step verification');
    const removes = formsTo(mfa, actions.removeFactor);
    expect(removes.map((form) => hiddenFields(form))).toEqual([
      { factor: 'f-totp', csrf: 'tok' },
      { factor: 'f-key', csrf: 'tok' },
      { factor: 'f-sms', csrf: 'tok' },
    ]);
    // Each button is "Remove" to the eye and "Remove MacBook" to a screen reader.
    expect(text(removes[1] ?? '')).toBe('Remove MacBook');
    expect(mfa).toContain('Passkey · Added 5 Mar 2025 · Never used');
    expect(mfa).toContain('Added 3 Mar 2025 · Last used today');
    expect(mfa).toContain('Text message · Added 9 Apr 2025');
    expect(mfa).toMatch(/badge-on">On<\/span>/);
  });

  it('says two-step verification is off when there are no factors', () => {
    const mfa = section(renderAccountPage({ ...view, factors: [] }), 'Two-step verification');
    expect(mfa).toMatch(/<span class="badge">Off<\/span>/);
    expect(formsTo(mfa, actions.removeFactor)).toHaveLength(0);
  });

  it('offers an authenticator app, a phone number or email, and a passkey', () => {
    const html = renderAccountPage(view);
    expect(hiddenFields(formsTo(html, actions.addTotp)[0] ?? '')).toEqual({ csrf: 'tok' });

    const [contact] = formsTo(html, actions.addContact);
    const select = tags(contact ?? '', 'select')[0] ?? '';
    expect(attr(select, 'name')).toBe('channel');
    expect(tags(contact ?? '', 'option').map((o) => attr(o, 'value'))).toEqual(['sms', 'email']);
    expect(attr(tags(contact ?? '', 'input').find((i) => attr(i, 'name') === 'to') ?? '', 'id')).toBe('contact-to');
    expect(contact).toContain('<label for="contact-to">');

    const [passkey] = formsTo(html, actions.addPasskeyOptions);
    expect(attr(passkey ?? '', 'data-passkey')).toBe('register');
    expect(attr(passkey ?? '', 'data-verify-url')).toBe(actions.addPasskeyVerify);
    expect(hiddenFields(passkey ?? '')).toEqual({ csrf: 'tok' });
    expect(tags(passkey ?? '', 'button').find((b) => attr(b, 'id') === 'add-passkey')).toBeDefined();
    expect(attr(tags(passkey ?? '', 'input').find((i) => attr(i, 'id') === 'passkey-label') ?? '', 'name')).toBe('label');
    expect(html).toMatch(/<li class="add-method" data-passkey-block hidden>/);
    expect(html).toMatch(/id="add-passkey-status" role="status" aria-live="polite"/);
  });

  it('loads the passkey library and the registration script, both with the nonce, and nothing else', () => {
    const html = renderAccountPage(view);
    const scripts = tags(html, 'script');
    expect(scripts).toEqual([`<script src="${actions.passkeyScriptUrl}" nonce="n0nce">`, '<script nonce="n0nce">']);
    expect(html).toContain('lib.startRegistration({ optionsJSON: options })');
    expect(html).toContain("body.label = form.elements.namedItem('label').value.trim()");
  });

  it.each([
    [undefined, 'Not created yet', 'Create'],
    [7, '7 codes left.', 'Create new codes'],
    [1, '1 code left.', 'Create new codes'],
  ] as const)('shows recovery codes status for %s and a form to (re)generate them', (left, status, button) => {
    const html = renderAccountPage({ ...view, recoveryCodesLeft: left });
    expect(html).toContain(status);
    const [form] = formsTo(html, actions.regenerateRecoveryCodes);
    expect(hiddenFields(form ?? '')).toEqual({ csrf: 'tok' });
    expect(text(form ?? '')).toBe(button);
  });

  it('warns when recovery codes run low', () => {
    expect(renderAccountPage({ ...view, recoveryCodesLeft: 2 })).toContain('<strong class="warning">2 codes left.</strong>');
  });

  it('lists sessions with the current one marked, and signs out of the others', () => {
    const sessions = section(renderAccountPage(view), 'Sessions');
    expect(sessions).toContain('Unknown browser<span class="badge badge-on">This device</span>');
    expect(sessions).toContain('Signed in 28 Apr\u00a0· Passkey');
    const [others] = formsTo(sessions, actions.signOutOthers);
    expect(hiddenFields(others ?? '')).toEqual({ csrf: 'tok' });
    expect(text(others ?? '')).toBe('Sign out of the other session');
  });

  it('tells sessions apart by browser and system, when, how and from where', () => {
    const sessions = section(
      renderAccountPage({
        ...view,
        sessions: [
          {
            id: 's1',
            current: true,
            signedInAt: { text: '2 hours ago', iso: '2025-03-12T12:20:00.000Z', exact: '12 March 2025, 12:20 UTC' },
            methods: 'Password + authenticator app',
            device: 'Chrome on macOS',
            address: '203.0.113.7',
          },
          { id: 's2', current: false, signedInAt: '3 days ago', methods: 'GitHub', device: 'Firefox on Windows', address: '2001:db8::1' },
        ],
      }),
      'Sessions',
    );
    const rows = sessions.match(/<li class="row">[\s\S]*?<\/li>/g) ?? [];
    // The separators are held to the word before them (no-break space), so a wrapped line never starts with "·".
    expect(rows.map(text)).toEqual([
      'Chrome on macOSThis deviceSigned in 2 hours ago\u00a0· Password + authenticator app\u00a0· 203.0.113.7',
      'Firefox on WindowsSigned in 3 days ago\u00a0· GitHub\u00a0· 2001:db8::1',
    ]);
    expect(rows[0]).toContain('<time datetime="2025-03-12T12:20:00.000Z" title="12 March 2025, 12:20 UTC">2 hours ago</time>');
  });

  it('shows where each sign-in came from under its method', () => {
    const signIns = section(
      renderAccountPage({
        ...view,
        signIns: [{ at: '5 minutes ago', method: 'Passkey', client: 'Acme Photos', device: 'Safari on iPhone', address: '198.51.100.4', outcome: 'Signed in' }],
      }),
      'Recent sign-ins',
    );
    expect(signIns).toContain(
      '<td>Passkey<span class="cell-meta">to Acme Photos</span><span class="cell-meta">Safari on iPhone\u00a0· 198.51.100.4</span></td>',
    );
  });

  it('offers no "sign out of other sessions" when there are none', () => {
    const html = renderAccountPage({ ...view, sessions: [view.sessions[0]!] });
    expect(formsTo(html, actions.signOutOthers)).toHaveLength(0);
  });

  it('shows recent sign-ins in a table with column headers', () => {
    const signIns = section(renderAccountPage(view), 'Recent sign-ins');
    expect(tags(signIns, 'th').every((th) => attr(th, 'scope') === 'col')).toBe(true);
    expect(signIns).toContain('<tr><td>today, 09:12</td><td>Password + app<span class="cell-meta">to Acme Photos</span></td><td>Signed in</td></tr>');
    expect(signIns).toContain('<tr><td>2 May</td><td>Password + SMS</td><td>Wrong code</td></tr>');
    expect(section(renderAccountPage({ ...view, signIns: [] }), 'Recent sign-ins')).toContain('No sign-ins yet.');
  });

  it('shows a notice in role="status" and an error in role="alert"', () => {
    const html = renderAccountPage({ ...view, notice: 'Passkey added.', error: 'That number does not look right.' });
    expect(html).toMatch(/<div class="notice" id="account-notice" role="status">[\s\S]*?<p>Passkey added\.<\/p><\/div>/);
    expect(html).toMatch(/<div class="alert" id="account-error" role="alert" tabindex="-1" autofocus>[\s\S]*?<p>That number does not look right\.<\/p><\/div>/);
    const plain = renderAccountPage(view);
    expect(plain).not.toContain('account-error');
    expect(plain).not.toContain('account-notice');
    // The passkey script's error region is there, empty and hidden, until a passkey fails.
    expect(plain).toMatch(
      /<div class="passkey-error" id="add-passkey-status-error" role="alert"><div class="alert" hidden><svg [^>]*>[\s\S]*?<\/svg><p><\/p><\/div><\/div>/,
    );
  });

  it('uses one h1 and an h2 per section, in order', () => {
    const html = renderAccountPage(view);
    expect(tags(html, 'h1')).toHaveLength(1);
    expect([...html.matchAll(/<h2 id="[^"]+">([^<]+)<\/h2>/g)].map((m) => m[1])).toEqual([
      'Two-step verification',
      'Connected applications',
      'Sessions',
      'Recent sign-ins',
    ]);
  });
});
