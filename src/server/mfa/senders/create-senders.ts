import { ConfigError } from '../../../core/errors.js';
import { createDevOutboxSender, type DevOutboxSender } from './dev-outbox.js';
import { createSmtpSender, type SmtpSender } from './smtp-sender.js';
import { createWebhookSender, type WebhookSender } from './webhook-sender.js';

/**
 * Delivery settings, typically read from the environment.
 *
 * @example
 * const config: SendersConfig = {
 *   mode: 'production',
 *   smtpUrl: process.env.GATEHOUSE_SMTP_URL, smtpFrom: process.env.GATEHOUSE_SMTP_FROM,
 *   webhookUrl: process.env.GATEHOUSE_SMS_WEBHOOK_URL, webhookSecret: process.env.GATEHOUSE_SMS_WEBHOOK_SECRET,
 * };
 */
export interface SendersConfig {
  /** Development outbox file; used only in development, for channels nothing else carries. */
  outboxFile?: string;
  /** See {@link createSmtpSender}; requires `smtpFrom`. */
  smtpUrl?: string;
  smtpFrom?: string;
  /** Deadline of one email (`timeoutMs` of {@link createSmtpSender}). Default 10 000 ms. */
  smtpTimeoutMs?: number;
  /** See {@link createWebhookSender}. */
  webhookUrl?: string;
  webhookSecret?: string;
  /** Deadline of the webhook's answer (`timeoutMs` of {@link createWebhookSender}). Default 5 000 ms. */
  webhookTimeoutMs?: number;
  mode: 'development' | 'production';
}

/**
 * Any sender {@link createSenders} may pick; `kind` tells which, e.g. for a startup log line.
 *
 * @example
 * const describe = (sender: ConfiguredSender | undefined) => sender?.kind ?? 'unavailable';
 */
export type ConfiguredSender = DevOutboxSender | SmtpSender | WebhookSender;

/**
 * One sender per channel; `undefined` means the channel cannot be used, so the factor type that
 * needs it (email codes, SMS codes) is unavailable.
 *
 * @example
 * const { email, sms } = createSenders({ mode: 'production', webhookUrl: 'https://sms.example.com/hook' });
 * const factors = [email && 'email_code', sms && 'sms_code'].filter(Boolean);
 */
export interface Senders {
  email: ConfiguredSender | undefined;
  sms: ConfiguredSender | undefined;
}

/**
 * Picks a sender per channel from the configuration:
 * - email: SMTP when `smtpUrl` is set, else the webhook when `webhookUrl` is set;
 * - SMS: the webhook when `webhookUrl` is set;
 * - a channel left without a sender falls back to the development outbox in `development` (then
 *   `outboxFile` is required) and stays `undefined` in `production`, where the outbox is never
 *   used, even when `outboxFile` is set.
 *
 * Throws a `ConfigError` naming the option for an incomplete or malformed configuration.
 *
 * @example
 * const senders = createSenders({ mode: 'development', outboxFile: join(dataDir, 'outbox.jsonl') });
 * senders.email?.kind; // 'dev-outbox'
 *
 * const live = createSenders({ mode: 'production', smtpUrl: 'smtps://u:p@smtp.example.com', smtpFrom: 'no-reply@example.com' });
 * live.email?.kind; // 'smtp'
 * live.sms;         // undefined: no SMS factor
 */
export function createSenders(config: SendersConfig): Senders {
  // Read as a plain string: JavaScript callers and config files reach here without the types.
  const mode: string = config.mode;
  if (mode !== 'development' && mode !== 'production') {
    throw new ConfigError('mode must be "development" or "production"', 'ERR_INVALID_OPTION', 'mode');
  }
  const smtpUrl = setting(config.smtpUrl);
  const smtpFrom = setting(config.smtpFrom);
  const webhookUrl = setting(config.webhookUrl);
  const webhookSecret = setting(config.webhookSecret);
  // A half-configured channel is a mistake to report, not a reason to quietly drop the channel.
  if (smtpUrl && !smtpFrom) throw new ConfigError('smtpFrom is required when smtpUrl is set', 'ERR_INVALID_OPTION', 'smtpFrom');
  if (smtpFrom && !smtpUrl) throw new ConfigError('smtpFrom is set but smtpUrl is not', 'ERR_INVALID_OPTION', 'smtpUrl');
  if (webhookSecret && !webhookUrl) {
    throw new ConfigError('webhookSecret is set but webhookUrl is not', 'ERR_INVALID_OPTION', 'webhookUrl');
  }

  const smtpTimeout = config.smtpTimeoutMs === undefined ? {} : { timeoutMs: config.smtpTimeoutMs };
  const webhookTimeout = config.webhookTimeoutMs === undefined ? {} : { timeoutMs: config.webhookTimeoutMs };
  const smtp = smtpUrl ? withOptionPath('smtp', () => createSmtpSender({ url: smtpUrl, from: smtpFrom!, ...smtpTimeout })) : undefined;
  const webhook = webhookUrl
    ? withOptionPath('webhook', () => createWebhookSender({ url: webhookUrl, ...(webhookSecret ? { secret: webhookSecret } : {}), ...webhookTimeout }))
    : undefined;

  let email: ConfiguredSender | undefined = smtp ?? webhook;
  let sms: ConfiguredSender | undefined = webhook;
  if (config.mode === 'development' && (!email || !sms)) {
    const outboxFile = setting(config.outboxFile);
    if (!outboxFile) {
      throw new ConfigError('outboxFile is required in development for a channel without SMTP or webhook settings', 'ERR_INVALID_OPTION', 'outboxFile');
    }
    const outbox = createDevOutboxSender({ file: outboxFile });
    email ??= outbox;
    sms ??= outbox;
  }
  return { email, sms };
}

/** Environment variables arrive as empty strings when declared but unset; treat those as absent. */
function setting(value: string | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** Renames a sender's option (`url`) to the config key the integrator actually wrote (`smtpUrl`). */
function withOptionPath<T>(prefix: 'smtp' | 'webhook', create: () => T): T {
  try {
    return create();
  } catch (error) {
    if (error instanceof ConfigError && error.option) {
      const option = `${prefix}${error.option[0]!.toUpperCase()}${error.option.slice(1)}`;
      throw new ConfigError(error.message.replace(new RegExp(`^${error.option}\\b`), option), error.code, option);
    }
    throw error;
  }
}
