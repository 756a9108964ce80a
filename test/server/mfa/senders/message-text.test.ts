import { describe, expect, it } from 'vitest';
import { SenderError } from '../../../../src/server/mfa/senders/sender-error.js';
import { messageText, SMS_MAX_LENGTH, type OneTimeCodeMessage } from '../../../../src/server/mfa/senders/sender.js';
import { compileMessages } from '../../../../src/ui/i18n/index.js';
import { codeMessage, emailMessage } from './message.js';

function rejection(message: OneTimeCodeMessage): SenderError {
  try {
    messageText(message);
  } catch (error) {
    expect(error).toBeInstanceOf(SenderError);
    return error as SenderError;
  }
  throw new Error('expected messageText to throw');
}

describe('messageText', () => {
  it('words a sign-in code for SMS', () => {
    expect(messageText(codeMessage())).toEqual({
      subject: 'Your Gatehouse sign-in code',
      text: "123456 is your Gatehouse sign-in code. It expires in 5 minutes. Don't share it.",
    });
  });

  it('words a contact verification code and a one-minute lifetime', () => {
    const { text } = messageText(codeMessage({ purpose: 'verify_contact', expiresInMinutes: 1, productName: 'Acme ID' }));
    expect(text).toBe("123456 is your Acme ID verification code. It expires in 1 minute. Don't share it.");
  });

  it('words it in the language given, and a sender gets the wording the message carries', () => {
    const messages = compileMessages();
    const german = messageText(codeMessage({ expiresInMinutes: 1 }), messages.translator('de'));
    expect(german).toEqual({
      subject: 'Ihr Anmeldecode für Gatehouse',
      text: '123456 ist Ihr Anmeldecode für Gatehouse. Er ist 1 Minute gültig. Geben Sie ihn nicht weiter.',
    });
    expect(messageText(codeMessage({ ...german, locale: 'de' }))).toEqual(german);
    const arabic = messageText(emailMessage({ expiresInMinutes: 2 }), messages.translator('ar'));
    expect(arabic.text).toContain('خلال دقيقتين');
    expect(arabic.text).toContain('فيمكنك تجاهل هذه الرسالة');
  });

  it('keeps a Japanese SMS within the limit too, shortening a long product name', () => {
    const { text } = messageText(codeMessage({ productName: 'ア'.repeat(200) }), compileMessages().translator('ja'));
    expect(text.length).toBeLessThanOrEqual(SMS_MAX_LENGTH);
    expect(text).toContain('123456');
  });

  it('adds a reassurance line to email and keeps the code out of the subject', () => {
    const { subject, text } = messageText(emailMessage({ code: '987654' }));
    expect(text.startsWith("987654 is your Gatehouse sign-in code. It expires in 5 minutes. Don't share it.\n\n")).toBe(true);
    expect(text).toContain('ignore this email');
    expect(subject).toBe('Your Gatehouse sign-in code');
    expect(subject).not.toContain('987654');
  });

  it(`keeps SMS text within ${SMS_MAX_LENGTH} characters, shortening a long product name`, () => {
    const longest = codeMessage({
      code: 'ABCD-EFGH-1234-5',
      purpose: 'verify_contact',
      expiresInMinutes: 1440,
      productName: 'The Extremely Long Official Name Of Our Identity Platform For Enterprise Customers Worldwide',
    });
    const { text } = messageText(longest);
    expect(text.length).toBeLessThanOrEqual(SMS_MAX_LENGTH);
    expect(text.startsWith('ABCD-EFGH-1234-5 is your The Extremely Long')).toBe(true);
    expect(text.endsWith("It expires in 1,440 minutes. Don't share it.")).toBe(true);
    // Email has no such limit and keeps the full name.
    expect(messageText({ ...longest, channel: 'email', to: 'ada@example.com' }).text).toContain('Customers Worldwide');
  });

  it('never splits a character when shortening', () => {
    const { text } = messageText(codeMessage({ productName: '🔐'.repeat(100) }));
    expect(text.length).toBeLessThanOrEqual(SMS_MAX_LENGTH);
    expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('flattens line breaks and control characters in the product name', () => {
    const { subject, text } = messageText(emailMessage({ productName: 'Acme\r\nBcc: evil@example.com\u0000' }));
    expect(subject).toBe('Your Acme Bcc: evil@example.com sign-in code');
    expect(text.split('\n')[0]).toContain('Acme Bcc');
  });

  it.each<[string, Partial<OneTimeCodeMessage>]>([
    ['a code with spaces', { code: '123 456' }],
    ['a too short code', { code: '123' }],
    ['zero minutes', { expiresInMinutes: 0 }],
    ['fractional minutes', { expiresInMinutes: 2.5 }],
    ['an unknown purpose', { purpose: 'reset' as never }],
    ['an unknown channel', { channel: 'fax' as never }],
    ['an SMS number that is not E.164', { to: '555-123-4567' }],
    ['a recipient with a line break', { to: '+15551234567\n' }],
    ['two email recipients', { channel: 'email', to: 'ada@example.com, eve@example.com' }],
    ['an email recipient with a display name', { channel: 'email', to: 'Eve <eve@example.com>' }],
    ['an empty product name', { productName: ' \n ' }],
  ])('rejects %s before sending anything', (_, overrides) => {
    const error = rejection(codeMessage({ ...overrides, code: overrides.code ?? '424242' }));
    expect(error.code).toBe('ERR_INVALID_MESSAGE');
    expect(error.message).not.toContain('424242');
  });
});
