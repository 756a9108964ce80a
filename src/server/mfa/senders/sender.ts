import { englishMessages, type MessageKey, type Translator } from '../../../ui/i18n/index.js';
import { SenderError } from './sender-error.js';

/**
 * How a one-time code travels to the user.
 *
 * @example
 * const channel: Channel = factor.type === 'sms' ? 'sms' : 'email';
 */
export type Channel = 'sms' | 'email';

/**
 * Why the code was issued; it picks the wording of the message ("sign-in code", "verification code").
 *
 * @example
 * const purpose: CodePurpose = enrolling ? 'verify_contact' : 'sign_in';
 */
export type CodePurpose = 'sign_in' | 'verify_contact';

/**
 * One code on its way to one recipient. Codes are generated and hashed elsewhere; a sender only
 * delivers this message.
 *
 * @example
 * const message: OneTimeCodeMessage = {
 *   channel: 'sms', to: '+15551234567', code: '123456', purpose: 'sign_in',
 *   productName: 'Gatehouse', expiresInMinutes: 5,
 * };
 */
export interface OneTimeCodeMessage {
  channel: Channel;
  /** E.164 phone number for `sms`, address for `email`. */
  to: string;
  code: string;
  purpose: CodePurpose;
  /** product name for the text */
  productName: string;
  /** minutes the code lives */
  expiresInMinutes: number;
  /**
   * The language Gatehouse wrote `subject` and `text` in (BCP 47), for a gateway that cares
   * (a voice call, a sender name per country).
   */
  locale?: string;
  /** The subject, written by Gatehouse in the user's language (`messageText`); without it, senders write it in English. */
  subject?: string;
  /** The text, likewise. */
  text?: string;
}

/**
 * A security notice by email: something changed on the account that the user should know about
 * even when they did it themselves (OWASP ASVS V2.2.3).
 *
 * @example
 * const notice: SecurityNotice = { channel: 'email', to: 'ada@example.com', kind: 'factor_added',
 *   detail: 'a passkey', productName: 'Gatehouse', at: new Date() };
 */
export interface SecurityNotice {
  channel: 'email';
  to: string;
  kind: 'factor_added';
  /** What was added, in plain words: "a passkey", "an authenticator app". Text chosen by the server, never by the user. */
  detail: string;
  productName: string;
  at: Date;
}

/**
 * Which account email a message is: picks its template, and tells a development outbox reader
 * what it is looking at.
 */
export type EmailTemplate =
  | 'verify_email'
  | 'sign_up_existing'
  | 'password_reset'
  | 'invitation'
  | 'email_sign_in'
  | 'email_change'
  | 'email_changed'
  | 'password_changed'
  | 'factor_added'
  | 'account_deleted';

/**
 * A whole email, already rendered from its template (subject, plain text and HTML): what the
 * account lifecycle sends (verification, password reset, invitation, notices).
 *
 * @example
 * const message: EmailMessage = { channel: 'email', template: 'password_reset', to: 'ada@example.com',
 *   subject: 'Reset your Gatehouse password', text: '…', html: '<!doctype html>…', link: 'https://…' };
 */
export interface EmailMessage {
  channel: 'email';
  template: EmailTemplate;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The link the email carries, if any (for the development outbox and its readers; also in `text`). */
  link?: string;
  /** The one-time code the email carries, if any (likewise). */
  code?: string;
}

/**
 * Delivers one-time codes (and, for email, security notices and account emails). Resolves once the mail server or
 * gateway accepted the message; rejects with a {@link SenderError} otherwise.
 *
 * @example
 * const sender: Sender = createDevOutboxSender({ file: 'data/outbox.jsonl' });
 * await sender.send({ channel: 'email', to: 'ada@example.com', code: '123456', purpose: 'sign_in',
 *   productName: 'Gatehouse', expiresInMinutes: 5 });
 */
export interface Sender {
  send(message: OneTimeCodeMessage): Promise<void>;
  /** Delivers a security notice; email senders implement it, SMS gateways need not. */
  notify?(notice: SecurityNotice): Promise<void>;
  /** Delivers a rendered account email (HTML and plain text); email senders implement it. */
  sendEmail?(message: EmailMessage): Promise<void>;
}

/**
 * Checks a rendered email before it is handed to a transport: one bare recipient address, a
 * subject on one line. Throws a {@link SenderError} (`ERR_INVALID_MESSAGE`) otherwise.
 */
export function assertValidEmail(message: EmailMessage): void {
  const to = message.to;
  // Read as a plain string: a custom caller in JavaScript reaches here without the types.
  const channel: string = message.channel;
  if (channel !== 'email' || typeof to !== 'string' || to.length > MAX_RECIPIENT_LENGTH || !EMAIL_ADDRESS.test(to)) {
    throw new SenderError('invalid email: to must be a single email address', 'ERR_INVALID_MESSAGE');
  }
  if (typeof message.subject !== 'string' || message.subject === '' || CONTROL_CHARACTERS.test(message.subject)) {
    throw new SenderError('invalid email: subject must be one line of text', 'ERR_INVALID_MESSAGE');
  }
}

/**
 * The subject and body of a security notice.
 *
 * @example
 * noticeText({ channel: 'email', to: 'ada@example.com', kind: 'factor_added', detail: 'a passkey',
 *   productName: 'Gatehouse', at: new Date('2026-01-02T03:04:05Z') }).subject;
 * // => 'A sign-in method was added to your Gatehouse account'
 */
export function noticeText(notice: SecurityNotice): { subject: string; text: string } {
  const to = notice.to;
  // Read as a plain string: a custom caller in JavaScript reaches here without the types.
  const channel: string = notice.channel;
  if (channel !== 'email' || typeof to !== 'string' || to.length > MAX_RECIPIENT_LENGTH || !EMAIL_ADDRESS.test(to)) {
    throw new SenderError('invalid security notice: to must be a single email address', 'ERR_INVALID_MESSAGE');
  }
  const product = cleanProductName(notice.productName) || 'Gatehouse';
  const detail = cleanProductName(notice.detail);
  return {
    subject: `A sign-in method was added to your ${product} account`,
    text:
      `${detail.charAt(0).toUpperCase()}${detail.slice(1)} was added to your ${product} account on ${notice.at.toUTCString()}.\n\n` +
      `If this was you, there is nothing to do. If it was not, sign in now, remove it on your account page, and change your password.`,
  };
}

/**
 * One SMS segment in the GSM 7-bit alphabet; longer texts are split, and some gateways bill per part.
 *
 * @example
 * expect(messageText(smsMessage).text.length).toBeLessThanOrEqual(SMS_MAX_LENGTH);
 */
export const SMS_MAX_LENGTH = 160;

const CODE_PATTERN = /^[A-Za-z0-9-]{4,16}$/;
const MAX_EXPIRES_IN_MINUTES = 24 * 60;
const MAX_RECIPIENT_LENGTH = 320;
const EMAIL_ADDRESS = /^[^\s@,;:<>()[\]"\\]+@[^\s@,;:<>()[\]"\\]+$/;
/** ITU-T E.164: a plus sign and at most 15 digits, the first not zero. */
const E164_NUMBER = /^\+[1-9]\d{6,14}$/;
/** C0 and C1 control characters (`\p{Cc}`: U+0000–U+001F, U+007F–U+009F) and the Unicode line and paragraph separators. */
const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029]/u;

const WORDING: Record<CodePurpose, { subject: MessageKey; text: MessageKey }> = {
  sign_in: { subject: 'codeMessage.subject.signIn', text: 'codeMessage.text.signIn' },
  verify_contact: { subject: 'codeMessage.subject.verifyContact', text: 'codeMessage.text.verifyContact' },
};

/**
 * The subject and body of a one-time-code message, in `i18n`'s language. Without `i18n`, the
 * wording the message carries (`subject` and `text`, which Gatehouse writes in the user's
 * language), else English. SMS text never exceeds {@link SMS_MAX_LENGTH} characters: a long
 * product name is shortened to fit. Throws a {@link SenderError} (`ERR_INVALID_MESSAGE`) for a
 * malformed message, before anything is sent.
 *
 * @example
 * messageText({ channel: 'sms', to: '+15551234567', code: '123456', purpose: 'sign_in',
 *   productName: 'Gatehouse', expiresInMinutes: 5 });
 * // => { subject: 'Your Gatehouse sign-in code',
 * //      text: "123456 is your Gatehouse sign-in code. It expires in 5 minutes. Don't share it." }
 */
export function messageText(message: OneTimeCodeMessage, i18n?: Translator): { subject: string; text: string } {
  assertValidMessage(message);
  if (i18n === undefined && typeof message.subject === 'string' && typeof message.text === 'string' && !CONTROL_CHARACTERS.test(message.subject)) {
    return { subject: message.subject, text: message.text };
  }
  const words = i18n ?? englishMessages();
  const wording = WORDING[message.purpose];
  const compose = (product: string): string => words.text(wording.text, { code: message.code, product, minutes: message.expiresInMinutes });

  let product = cleanProductName(message.productName);
  if (message.channel === 'sms') {
    const room = SMS_MAX_LENGTH - compose('').length;
    product = shorten(product, room);
  }
  const text = message.channel === 'email' ? `${compose(product)}\n\n${words.text('codeMessage.emailIgnore')}` : compose(product);
  // The code stays out of the subject: mail servers log subjects and phones show them on the lock screen.
  return { subject: words.text(wording.subject, { product }), text };
}

function assertValidMessage(message: OneTimeCodeMessage): void {
  const invalid = (what: string): never => {
    throw new SenderError(`invalid one-time-code message: ${what}`, 'ERR_INVALID_MESSAGE');
  };
  // Read as a plain string: a custom caller in JavaScript reaches here without the types.
  const channel: string = message.channel;
  if (channel !== 'sms' && channel !== 'email') invalid('channel must be "sms" or "email"');
  if (!(message.purpose in WORDING)) invalid('purpose must be "sign_in" or "verify_contact"');
  // The pattern is checked, not the code echoed: this message may end up in a log.
  if (typeof message.code !== 'string' || !CODE_PATTERN.test(message.code)) {
    invalid('code must be 4 to 16 letters, digits or dashes');
  }
  const minutes = message.expiresInMinutes;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_EXPIRES_IN_MINUTES) {
    invalid(`expiresInMinutes must be a whole number from 1 to ${MAX_EXPIRES_IN_MINUTES}`);
  }
  const to = message.to;
  if (typeof to !== 'string' || to.length > MAX_RECIPIENT_LENGTH || CONTROL_CHARACTERS.test(to)) {
    invalid(`to must be a recipient of at most ${MAX_RECIPIENT_LENGTH} characters without control characters`);
  }
  // One bare address only: "a@x, b@y" would otherwise copy the code to a second mailbox.
  if (message.channel === 'email' && !EMAIL_ADDRESS.test(to)) invalid('to must be a single email address');
  if (message.channel === 'sms' && !E164_NUMBER.test(to)) invalid('to must be an E.164 phone number such as +15551234567');
  if (typeof message.productName !== 'string' || cleanProductName(message.productName) === '') {
    invalid('productName must not be empty');
  }
}

/** Control characters and line breaks would let a product name forge headers or extra lines. */
function cleanProductName(name: string): string {
  return name.replace(new RegExp(CONTROL_CHARACTERS.source, 'gu'), ' ').replace(/\s+/g, ' ').trim();
}

function shorten(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  // Cut by code point so an emoji is not split into half a surrogate pair.
  let out = '';
  for (const char of text) {
    if (out.length + char.length > maxLength) break;
    out += char;
  }
  return out.trimEnd();
}
