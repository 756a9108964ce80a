import type { OneTimeCodeMessage } from '../../../../src/server/mfa/senders/sender.js';

/** A valid message; each test overrides what it is about. */
export function codeMessage(overrides: Partial<OneTimeCodeMessage> = {}): OneTimeCodeMessage {
  return {
    channel: 'sms',
    to: '+15551234567',
    code: '123456',
    purpose: 'sign_in',
    productName: 'Gatehouse',
    expiresInMinutes: 5,
    ...overrides,
  };
}

/** An email variant of {@link codeMessage}. */
export function emailMessage(overrides: Partial<OneTimeCodeMessage> = {}): OneTimeCodeMessage {
  return codeMessage({ channel: 'email', to: 'ada@example.com', ...overrides });
}
