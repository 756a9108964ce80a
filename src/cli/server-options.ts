import { join } from 'node:path';
import { createSenders, type Senders } from '../server/mfa/senders/index.js';
import type { AuthorizationServerOptions } from '../server/options.js';
import type { CliConfig } from './config.js';
import { OUTBOX_FILE, type Runtime } from './runtime.js';
import { serverSettingsFrom } from './settings.js';

/** The directory of the operator's own email templates in the data directory (when `GATEHOUSE_EMAIL_TEMPLATES_DIR` is unset). */
const EMAIL_TEMPLATES_DIR = 'emails';

/** The directory of the operator's messages and languages in the data directory (when `GATEHOUSE_LANGUAGES_DIR` is unset). */
const LANGUAGES_DIR = 'locales';

/** The configured senders as the server's `mfa.senders` option: SMTP, the webhook, or in development the outbox. */
function commandSenders(config: CliConfig): { email?: Senders['email'] & object; sms?: Senders['sms'] & object } {
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
function emailTemplatesDir(config: Pick<CliConfig, 'emailTemplatesDir' | 'dataDir'>): string {
  return config.emailTemplatesDir ?? join(config.dataDir, EMAIL_TEMPLATES_DIR);
}

/** Where the operator's messages are read from: `GATEHOUSE_LANGUAGES_DIR`, else `DATA_DIR/locales`. */
function languagesDir(config: Pick<CliConfig, 'languagesDir' | 'dataDir'>): string {
  return config.languagesDir ?? join(config.dataDir, LANGUAGES_DIR);
}

/** The issuer the command serves when `--issuer` is not given: `http://HOST:PORT` (`https://` with TLS). */
export function derivedIssuer(host: string, port: number, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The library options every server the command builds shares: the plain settings where the schema
 * puts them, the issuer, the runtime's store and secret, the senders and the email templates.
 * `gatehouse start` adds its own objects (upstreams, Redis, the logger); `gatehouse users invite`
 * resolves these to render and send the invitation as the server would.
 */
export function commandServerOptions(config: CliConfig, runtime: Pick<Runtime, 'store' | 'secret'>, issuer: string) {
  const settings = serverSettingsFrom(config);
  return {
    ...settings,
    issuer: config.issuer ?? issuer,
    store: runtime.store,
    secret: runtime.secret,
    mfa: { ...settings.mfa, senders: commandSenders(config) },
    emails: { ...settings.emails, templatesDir: emailTemplatesDir(config) },
    languages: { ...settings.languages, dir: languagesDir(config) },
  } satisfies AuthorizationServerOptions;
}
