import { ConfigError } from '../../../core/errors.js';
import { importOptional } from '../../../core/optional-dependency.js';
import { isLoopbackHost } from '../../../core/urls.js';
import { SenderError } from './sender-error.js';
import { assertValidEmail, messageText, noticeText, type EmailMessage, type OneTimeCodeMessage, type SecurityNotice, type Sender } from './sender.js';

const { createTransport } = await importOptional('nodemailer', () => import('nodemailer'), 'gatehouse/server (the SMTP sender)');

/**
 * Options of {@link createSmtpSender}.
 *
 * @example
 * const options: SmtpSenderOptions = {
 *   url: 'smtps://gatehouse:s3cret@smtp.example.com:465',
 *   from: 'Gatehouse <no-reply@example.com>',
 * };
 */
export interface SmtpSenderOptions {
  /**
   * `smtp://user:pass@host:port` (STARTTLS) or `smtps://user:pass@host:port` (implicit TLS);
   * percent-encode reserved characters in the password. Nodemailer query options such as
   * `?tls.rejectUnauthorized=false` pass through.
   */
  url: string;
  /** Sender address, optionally with a display name: `Gatehouse <no-reply@example.com>`. */
  from: string;
  /** Deadline for the whole delivery, connection included. Default 10 000 ms. */
  timeoutMs?: number;
}

/**
 * The SMTP sender as returned by {@link createSmtpSender}.
 *
 * @example
 * const smtp: SmtpSender = createSmtpSender({ url: process.env.SMTP_URL!, from: 'no-reply@example.com' });
 * console.log(smtp.kind); // 'smtp'
 */
export interface SmtpSender extends Sender {
  readonly kind: 'smtp';
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Explanations for nodemailer's error codes; the raw nodemailer message is never passed on. */
const REASONS: Record<string, string> = {
  EAUTH: 'authentication failed',
  ENOAUTH: 'the server requires credentials',
  ECONNECTION: 'could not connect',
  ESOCKET: 'could not connect',
  EDNS: 'could not resolve the host',
  ETIMEDOUT: 'timed out',
  ETLS: 'TLS failed',
  EREQUIRETLS: 'TLS failed',
  EENVELOPE: 'the sender or recipient was refused',
  EMESSAGE: 'the message was refused',
  EPROTOCOL: 'the server broke the SMTP protocol',
};

/**
 * Delivers one-time codes by email through an SMTP server (nodemailer). Carries `email` only: an
 * SMS message rejects with `ERR_UNSUPPORTED_CHANNEL`.
 *
 * A plain `smtp://` URL to a host other than loopback must upgrade with STARTTLS, so the password
 * and the code never cross the network in clear; for a relay without TLS, opt out in the URL with
 * `?requireTLS=false`. Failures reject with a {@link SenderError} naming the host, the nodemailer
 * code and the server's reply, with the password and the code blanked out.
 *
 * @example
 * const email = createSmtpSender({ url: 'smtp://gatehouse:s3cret@smtp.example.com:587', from: 'Gatehouse <no-reply@example.com>' });
 * await email.send({ channel: 'email', to: 'ada@example.com', code: '123456', purpose: 'sign_in',
 *   productName: 'Gatehouse', expiresInMinutes: 5 });
 */
export function createSmtpSender(options: SmtpSenderOptions): SmtpSender {
  const url = parseSmtpUrl(options.url);
  const from = options.from;
  if (typeof from !== 'string' || from.trim() === '' || /[\r\n]/.test(from)) {
    throw new ConfigError('from must be a sender address such as "Gatehouse <no-reply@example.com>"', 'ERR_INVALID_OPTION', 'from');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigError('timeoutMs must be a positive number of milliseconds', 'ERR_INVALID_OPTION', 'timeoutMs');
  }

  const tlsChoiceInUrl = ['requireTLS', 'ignoreTLS', 'opportunisticTLS'].some((key) => url.searchParams.has(key));
  const requireTLS = url.protocol === 'smtp:' && !isLoopbackHost(url.hostname) && !tlsChoiceInUrl;
  const transport = createTransport({
    url: options.url,
    requireTLS,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  const server = `${url.hostname}:${url.port || (url.protocol === 'smtps:' ? 465 : 587)}`;
  const password = url.password;

  return {
    kind: 'smtp',
    async send(message: OneTimeCodeMessage): Promise<void> {
      // Read as `unknown`: a custom caller in JavaScript reaches here without the types.
      const channel: unknown = message.channel;
      if (channel !== 'email') {
        throw new SenderError(`the SMTP sender carries email only, not "${String(channel)}"; configure a webhook sender for SMS`, 'ERR_UNSUPPORTED_CHANNEL');
      }
      const { subject, text } = messageText(message);
      try {
        await transport.sendMail({
          from,
          to: message.to,
          subject,
          text,
          // RFC 3834: keeps vacation responders from answering a machine.
          headers: { 'Auto-Submitted': 'auto-generated' },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw deliveryError(error, server, timeoutMs, [password, safeDecode(password), message.code]);
      }
    },
    async notify(notice: SecurityNotice): Promise<void> {
      const { subject, text } = noticeText(notice);
      try {
        await transport.sendMail({
          from,
          to: notice.to,
          subject,
          text,
          headers: { 'Auto-Submitted': 'auto-generated' },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw deliveryError(error, server, timeoutMs, [password, safeDecode(password)]);
      }
    },
    async sendEmail(message: EmailMessage): Promise<void> {
      assertValidEmail(message);
      try {
        await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          headers: { 'Auto-Submitted': 'auto-generated' },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw deliveryError(error, server, timeoutMs, [
          password,
          safeDecode(password),
          ...(message.code ? [message.code] : []),
          ...(message.link ? [message.link] : []),
        ]);
      }
    },
  };
}

function parseSmtpUrl(value: unknown): URL {
  // The messages below never quote the URL: it carries the password.
  const invalid = new ConfigError('url must look like smtp://user:pass@host:port or smtps://user:pass@host:port', 'ERR_INVALID_OPTION', 'url');
  if (typeof value !== 'string') throw invalid;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid;
  }
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') throw invalid;
  return url;
}

function deliveryError(error: unknown, server: string, timeoutMs: number, secrets: string[]): SenderError {
  const failure = (error ?? {}) as { code?: unknown; originalCode?: unknown; response?: unknown; responseCode?: unknown };
  const code = typeof failure.code === 'string' ? failure.code : undefined;
  const status = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  if (code === 'EABORT') {
    return new SenderError(`SMTP delivery via ${server} timed out after ${timeoutMs} ms`, 'ERR_DELIVERY_TIMEOUT');
  }
  const reason = (code && REASONS[code]) ?? 'failed';
  const codes = [code, typeof failure.originalCode === 'string' ? failure.originalCode : undefined].filter(Boolean).join('/');
  const reply = typeof failure.response === 'string' ? `; server said: ${redact(failure.response.slice(0, 200), secrets)}` : '';
  const hint =
    code === 'ETLS' || code === 'EREQUIRETLS' || (typeof failure.response === 'string' && /STARTTLS/i.test(failure.response))
      ? ' (for a relay without TLS, add ?requireTLS=false to the URL)'
      : '';
  return new SenderError(
    `SMTP delivery via ${server} failed: ${reason}${codes ? ` [${codes}]` : ''}${reply}${hint}`,
    code === 'ETIMEDOUT' ? 'ERR_DELIVERY_TIMEOUT' : 'ERR_DELIVERY_FAILED',
    status,
  );
}

function redact(text: string, secrets: string[]): string {
  let out = text.replace(/[\r\n]+/g, ' ');
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join('[redacted]');
  }
  return out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
