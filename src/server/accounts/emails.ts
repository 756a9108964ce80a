import type { ServerContext } from '../context.js';
import type { EmailTemplate } from '../mfa/senders/sender.js';
import { renderEmailHtml, renderEmailText, type EmailContent } from '../../ui/email-layout.js';
import { escapeHtml } from '../../ui/escape.js';
import { pageBase } from '../http/pages.js';
import { BUILT_IN_EMAILS, fillPlaceholders, type BuiltInEmail, type EmailPlaceholder } from './email-templates.js';

/**
 * What a template may say: chosen by the server (links it built, codes it drew, names it
 * stored), each value escaped for HTML when it goes into the HTML body.
 */
export interface EmailVars {
  /** The link the email is for (verification, reset, invitation, sign-in). */
  link?: string;
  /** The 6-digit code that stands for the link. */
  code?: string;
  /** How long the link works, in words: "24 hours", "30 minutes". */
  expiresIn?: string;
  /** What changed, in words chosen by the server: "a passkey", "your password". */
  detail?: string;
  /** The new address (email change). */
  newEmail?: string;
  /** The recipient's name, when known. */
  name?: string;
}

/** One account email to send. */
export interface AccountEmail {
  to: string;
  template: EmailTemplate;
  vars?: EmailVars;
}

/** A rendered email: subject, plain text and HTML. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** What a built-in email says when the caller leaves a var out. */
const FALLBACKS: Partial<Record<EmailTemplate, Partial<EmailVars>>> = {
  verify_email: { expiresIn: '24 hours' },
  password_reset: { expiresIn: '30 minutes' },
  invitation: { expiresIn: '7 days' },
  email_sign_in: { expiresIn: '10 minutes' },
  email_change: { expiresIn: '24 hours' },
  email_changed: { newEmail: 'another address' },
  factor_added: { detail: 'a new sign-in method' },
  account_deleted: { detail: 'Your account was deleted, with everything it held.' },
};

/**
 * Renders an account email for `to`: the operator's own template files where there are some
 * (`emails.templatesDir`, read at construction), the built-in wording and branded layout
 * otherwise. Placeholders are filled HTML-escaped in HTML and as they are in text; the subject
 * is one line whatever a value holds.
 *
 * @example
 * const { subject, text, html } = renderAccountEmail(ctx, 'password_reset', { link, expiresIn: '30 minutes' }, 'ada@example.com');
 */
export function renderAccountEmail(ctx: Pick<ServerContext, 'config'>, template: EmailTemplate, vars: EmailVars = {}, to = ''): RenderedEmail {
  const values = placeholderValues(ctx, template, vars, to);
  const builtIn = BUILT_IN_EMAILS[template];
  const override = ctx.config.emails.overrides[template] ?? {};
  const content = builtInContent(builtIn, values);
  const subject = oneLine(fillPlaceholders(override.subject ?? builtIn.subject, values));
  const text = override.text === undefined ? renderEmailText(content) : fillPlaceholders(override.text, values);
  const html = override.html === undefined ? renderEmailHtml(pageBase(ctx).branding, content) : fillPlaceholders(override.html, values, escapeHtml);
  return { subject, text, html };
}

/** Every placeholder's value: the vars given, the fallbacks, the product and the recipient. */
function placeholderValues(
  ctx: Pick<ServerContext, 'config'>,
  template: EmailTemplate,
  vars: EmailVars,
  to: string,
): Partial<Record<EmailPlaceholder, string>> {
  const given = Object.fromEntries(Object.entries(vars).filter(([, value]) => value !== undefined && value !== ''));
  return { ...FALLBACKS[template], ...given, product: ctx.config.branding.productName, email: to };
}

/** The built-in email's content, filled (the layout escapes it). */
function builtInContent(email: BuiltInEmail, values: Partial<Record<EmailPlaceholder, string>>): EmailContent {
  const fill = (text: string) => fillPlaceholders(text, values);
  return {
    heading: fill(email.heading),
    greeting: values.name ? `Hello ${values.name},` : 'Hello,',
    paragraphs: email.paragraphs.map(fill),
    ...(values.code && email.placeholders.includes('code') ? { code: values.code } : {}),
    ...(email.action && values.link ? { action: { label: email.action, url: values.link } } : {}),
    footer: fill(email.footer),
  };
}

/** Control characters and line breaks in a subject would forge headers: spaces instead. */
function oneLine(text: string): string {
  return text
    .replace(/[\p{Cc}\u2028\u2029]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Sends an account email through the configured email sender; resolves when it was accepted, and
 * rejects with a `SenderError` otherwise. Without an email sender it does nothing: the features
 * that need one are off (see `accountEmailsAvailable`).
 */
export async function sendAccountEmail(ctx: Pick<ServerContext, 'config'>, email: AccountEmail): Promise<void> {
  const sender = ctx.config.mfa.senders.email;
  if (!sender?.sendEmail) return;
  const rendered = renderAccountEmail(ctx, email.template, email.vars, email.to);
  await sender.sendEmail({
    channel: 'email',
    template: email.template,
    to: email.to,
    ...rendered,
    ...(email.vars?.link ? { link: email.vars.link } : {}),
    ...(email.vars?.code ? { code: email.vars.code } : {}),
  });
}

/** Whether account emails can go out: an email sender that carries them is configured. */
export function accountEmailsAvailable(ctx: Pick<ServerContext, 'config'>): boolean {
  return typeof ctx.config.mfa.senders.email?.sendEmail === 'function';
}

/**
 * Runs `work` (what a request does for an account that may not exist: issue a link, send an
 * email) after the answer, so that the answer takes the same time whether or not it exists. A
 * failure is logged with the request id, never shown.
 */
export function afterAnswer(ctx: Pick<ServerContext, 'logger' | 'request'>, what: string, work: () => Promise<void>): void {
  setImmediate(() => {
    work().catch((error: unknown) => ctx.logger.warn({ err: error, requestId: ctx.request.id }, `${what} failed`));
  });
}
