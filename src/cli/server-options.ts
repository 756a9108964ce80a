import { join } from 'node:path';
import { createSenders, type Senders } from '../server/mfa/senders/index.js';
import type { CliConfig } from './config.js';
import { OUTBOX_FILE } from './runtime.js';

/** The directory of the operator's own email templates in the data directory (when `GATEHOUSE_EMAIL_TEMPLATES_DIR` is unset). */
export const EMAIL_TEMPLATES_DIR = 'emails';

/** The configured senders as the server's `mfa.senders` option: SMTP, the webhook, or in development the outbox. */
export function commandSenders(config: CliConfig): { email?: Senders['email'] & object; sms?: Senders['sms'] & object } {
  const senders = createSenders({
    mode: config.mode,
    outboxFile: join(config.dataDir, OUTBOX_FILE),
    smtpUrl: config.smtpUrl,
    smtpFrom: config.smtpFrom,
    smtpTimeoutMs: config.smtpTimeoutMs,
    webhookUrl: config.smsWebhookUrl,
    webhookSecret: config.smsWebhookSecret,
    webhookTimeoutMs: config.smsWebhookTimeoutMs,
  });
  return { ...(senders.email ? { email: senders.email } : {}), ...(senders.sms ? { sms: senders.sms } : {}) };
}

/** Where the email templates are read from: `GATEHOUSE_EMAIL_TEMPLATES_DIR`, else `DATA_DIR/emails`. */
export function emailTemplatesDir(config: Pick<CliConfig, 'emailTemplatesDir' | 'dataDir'>): string {
  return config.emailTemplatesDir ?? join(config.dataDir, EMAIL_TEMPLATES_DIR);
}

/** The issuer the command serves when `--issuer` is not given: `http://HOST:PORT` (`https://` with TLS). */
export function derivedIssuer(host: string, port: number, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
