import { createHmac } from 'node:crypto';
import { ConfigError } from '../../../core/errors.js';
import { isLoopbackHost } from '../../../core/urls.js';
import { SenderError } from './sender-error.js';
import {
  assertValidEmail,
  messageText,
  type Channel,
  type CodePurpose,
  type EmailMessage,
  type EmailTemplate,
  type OneTimeCodeMessage,
  type Sender,
} from './sender.js';

/**
 * Header carrying `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` when a secret is configured.
 *
 * @example
 * const received = request.headers.get(WEBHOOK_SIGNATURE_HEADER); // 'sha256=9f86d0…'
 */
const WEBHOOK_SIGNATURE_HEADER = 'X-Gatehouse-Signature';
/**
 * Header carrying the send time in Unix seconds, when a secret is configured. The signature covers
 * it with the body, so a receiver that refuses requests older than a few minutes also refuses a
 * captured request replayed later (which would resend a code).
 *
 * @example
 * const ageSeconds = Date.now() / 1000 - Number(request.headers.get(WEBHOOK_TIMESTAMP_HEADER));
 */
const WEBHOOK_TIMESTAMP_HEADER = 'X-Gatehouse-Timestamp';

/**
 * The JSON body POSTed to the webhook.
 *
 * @example
 * const body: WebhookBody = { channel: 'sms', to: '+15551234567', purpose: 'sign_in', code: '123456',
 *   subject: 'Your Gatehouse sign-in code',
 *   text: "123456 is your Gatehouse sign-in code. It expires in 5 minutes. Don't share it." };
 */
export interface WebhookBody {
  channel: Channel;
  to: string;
  /** Ready-to-send text; SMS text fits one 160-character segment. */
  text: string;
  purpose: CodePurpose;
  /** The bare code, for pipelines that render their own templates. */
  code: string;
  /** Email subject; a pipeline that only sends SMS ignores it. */
  subject: string;
}

/**
 * The JSON body POSTed to the webhook for an account email (verification, reset, invitation,
 * notices): ready to send as a multipart email, signed like the codes.
 *
 * @example
 * const body: WebhookEmailBody = { channel: 'email', to: 'ada@example.com', template: 'password_reset',
 *   subject: 'Reset your Gatehouse password', text: 'Hello,…', html: '<!doctype html>…', link: 'https://…' };
 */
export interface WebhookEmailBody {
  channel: 'email';
  to: string;
  /** Which account email it is. */
  template: EmailTemplate;
  subject: string;
  /** The plain-text part. */
  text: string;
  /** The HTML part. */
  html: string;
  /** The link the email carries, for pipelines that render their own templates. */
  link?: string;
  /** The one-time code it carries, likewise. */
  code?: string;
}

/**
 * Options of {@link createWebhookSender}.
 *
 * @example
 * const options: WebhookSenderOptions = { url: 'https://sms.example.com/gatehouse', secret: process.env.WEBHOOK_SECRET };
 */
export interface WebhookSenderOptions {
  /** `https://` URL; `http://` is accepted only for loopback hosts. */
  url: string;
  /** Shared secret for the `X-Gatehouse-Signature` HMAC; without it requests are unsigned. */
  secret?: string;
  /** Deadline for the gateway's answer. Default 5 000 ms. */
  timeoutMs?: number;
  /** `fetch` implementation, e.g. one with a proxy agent. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Time source for `X-Gatehouse-Timestamp`, in milliseconds; inject a fixed clock in tests. */
  now?: () => number;
}

/**
 * The webhook sender as returned by {@link createWebhookSender}.
 *
 * @example
 * const webhook: WebhookSender = createWebhookSender({ url: 'https://sms.example.com/gatehouse' });
 * console.log(webhook.kind); // 'webhook'
 */
export interface WebhookSender extends Sender {
  readonly kind: 'webhook';
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * The `X-Gatehouse-Signature` value: `sha256=` and the hex HMAC-SHA256, keyed with the shared
 * secret, of the timestamp header's value, a dot, and the raw body. A receiver recomputes it over
 * what it received, compares in constant time, and refuses old timestamps.
 *
 * @example
 * // receiver side
 * const timestamp = request.headers['x-gatehouse-timestamp'];
 * const expected = webhookSignature(rawBody, process.env.WEBHOOK_SECRET!, timestamp);
 * const ok = timingSafeEqual(Buffer.from(expected), Buffer.from(request.headers['x-gatehouse-signature'] ?? ''))
 *   && Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
 */
function webhookSignature(body: string, secret: string, timestamp: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * Delivers one-time codes by POSTing JSON ({@link WebhookBody}) to an HTTPS endpoint: an SMS
 * gateway adapter or any custom pipeline. Carries both channels, and account emails
 * ({@link WebhookEmailBody}, with their HTML and plain-text parts). With `secret`, each request is
 * signed ({@link WEBHOOK_SIGNATURE_HEADER}) and timestamped ({@link WEBHOOK_TIMESTAMP_HEADER}).
 *
 * Any answer other than 2xx, including a redirect, rejects with a {@link SenderError} naming the
 * origin and the HTTP status; no answer within `timeoutMs` rejects with `ERR_DELIVERY_TIMEOUT`.
 * Error messages never echo the code, the URL path or the gateway's response body.
 *
 * @example
 * const sms = createWebhookSender({ url: 'https://sms.example.com/gatehouse', secret: process.env.WEBHOOK_SECRET });
 * await sms.send({ channel: 'sms', to: '+15551234567', code: '123456', purpose: 'sign_in',
 *   productName: 'Gatehouse', expiresInMinutes: 5 });
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const url = parseWebhookUrl(options.url);
  const { secret } = options;
  if (secret !== undefined && (typeof secret !== 'string' || secret === '')) {
    throw new ConfigError('secret must be a non-empty string when set', 'ERR_INVALID_OPTION', 'secret');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigError('timeoutMs must be a positive number of milliseconds', 'ERR_INVALID_OPTION', 'timeoutMs');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new ConfigError('fetch must be a fetch-compatible function', 'ERR_INVALID_OPTION', 'fetch');
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  // Named in errors instead of the full URL: paths and queries of gateways often carry API keys.
  const origin = url.origin;

  /** POSTs one JSON body, signed when a secret is set; resolves on a 2xx answer. */
  async function post(payload: WebhookBody | WebhookEmailBody): Promise<void> {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'gatehouse',
    };
    if (secret !== undefined) {
      const timestamp = String(Math.floor(now() / 1000));
      headers[WEBHOOK_TIMESTAMP_HEADER] = timestamp;
      headers[WEBHOOK_SIGNATURE_HEADER] = webhookSignature(body, secret, timestamp);
    }

    const signal = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      // A followed redirect would carry the code and signature to a host nobody configured.
      response = await fetchImpl(url, { method: 'POST', headers, body, redirect: 'manual', signal });
    } catch (error) {
      if (signal.aborted) {
        throw new SenderError(`webhook ${origin} did not answer within ${timeoutMs} ms`, 'ERR_DELIVERY_TIMEOUT');
      }
      throw new SenderError(`webhook ${origin} could not be reached (${networkCode(error)})`, 'ERR_DELIVERY_FAILED');
    }
    // The body is not read, so nothing the gateway echoes (the code, say) reaches an error message.
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) {
      throw new SenderError(`webhook ${origin} answered HTTP ${response.status}`, 'ERR_DELIVERY_FAILED', response.status);
    }
  }

  return {
    kind: 'webhook',
    async send(message: OneTimeCodeMessage): Promise<void> {
      const { subject, text } = messageText(message);
      await post({
        channel: message.channel,
        to: message.to,
        text,
        purpose: message.purpose,
        code: message.code,
        subject,
        ...(message.locale ? { locale: message.locale } : {}),
      });
    },
    async sendEmail(message: EmailMessage): Promise<void> {
      assertValidEmail(message);
      await post({
        channel: 'email',
        to: message.to,
        template: message.template,
        subject: message.subject,
        text: message.text,
        html: message.html,
        ...(message.link ? { link: message.link } : {}),
        ...(message.code ? { code: message.code } : {}),
      });
    },
  };
}

function parseWebhookUrl(value: unknown): URL {
  const invalid = (why: string) => new ConfigError(`url ${why}`, 'ERR_INVALID_OPTION', 'url');
  if (typeof value !== 'string') throw invalid('must be an https:// URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('must be an https:// URL');
  }
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) throw invalid('must use https:// (http:// is accepted only for loopback hosts)');
  } else if (url.protocol !== 'https:') {
    throw invalid('must be an https:// URL');
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid('must not carry credentials; authenticate the webhook with secret instead');
  }
  return url;
}

function networkCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : 'network error';
}
