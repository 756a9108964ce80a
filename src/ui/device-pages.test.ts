import { describe, expect, it } from 'vitest';
import { englishMessages } from './i18n/index.js';
import { DEFAULT_BRANDING, renderConsentPage, renderDeviceCodePage, renderDeviceDonePage } from './index.js';
import { attr, tags } from './testing/all-pages.js';
import { text } from './testing/mfa-fixtures.js';

const base = { branding: DEFAULT_BRANDING, nonce: 'n0nce', i18n: englishMessages() };

describe('renderDeviceCodePage', () => {
  it('asks for the code in one labelled field posted with the CSRF token, and no script submits it', () => {
    const html = renderDeviceCodePage({ ...base, action: '/device', csrfToken: 'tok' });
    expect(tags(html, 'h1')).toHaveLength(1);
    const inputs = tags(html, 'input');
    expect(inputs.map((input) => attr(input, 'name'))).toEqual(['csrf', 'user_code']);
    expect(inputs[1]).toMatch(/\sautofocus\b/);
    expect(html).not.toContain('<script');
    expect(text(html)).toContain('Enter the code your device shows');
  });

  it('filled in from the link: the code is shown for the user to check, not focused, with a warning (RFC 8628 §5.4)', () => {
    const html = renderDeviceCodePage({ ...base, action: '/device', csrfToken: 'tok', userCode: 'BDWP-HQPK' });
    const field = tags(html, 'input').find((input) => attr(input, 'name') === 'user_code')!;
    expect(attr(field, 'value')).toBe('BDWP-HQPK');
    expect(field).not.toMatch(/\sautofocus\b/);
    expect(text(html)).toContain('If you did not start signing in on a device yourself, close this page.');
  });

  it('after a wrong code: the alert, tied to the field', () => {
    const html = renderDeviceCodePage({ ...base, action: '/device', csrfToken: 'tok', error: 'That code is not valid.' });
    const field = tags(html, 'input').find((input) => attr(input, 'name') === 'user_code')!;
    expect(attr(field, 'aria-invalid')).toBe('true');
    expect(attr(field, 'aria-describedby')).toContain('device-error');
    expect(html).toContain('id="device-error"');
  });
});

describe('renderDeviceDonePage', () => {
  it('says whether the device was allowed, naming the client (escaped)', () => {
    const allowed = renderDeviceDonePage({ ...base, approved: true, clientName: '<TV & co>' });
    expect(text(allowed)).toContain('Device connected');
    expect(allowed).toContain('&lt;TV &amp; co&gt; is signed in to your account');
    expect(text(renderDeviceDonePage({ ...base, approved: false, clientName: 'TV' }))).toContain('Device not connected');
  });
});

describe('renderConsentPage for a device', () => {
  it('asks the user to compare the code with the device', () => {
    const view = {
      ...base,
      i18n: englishMessages(),
      action: '/interaction/x/consent',
      csrfToken: 'tok',
      client: { name: 'TV' },
      account: { name: 'Alice', login: 'alice@example.com' },
      scopes: ['openid'],
    };
    expect(renderConsentPage(view)).not.toContain('data-device-code');
    const html = renderConsentPage({ ...view, device: { userCode: 'BDWP-HQPK' } });
    expect(text(html)).toContain('your device shows the code BDWP-HQPK');
  });
});
