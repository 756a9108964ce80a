import type { ServerContext } from '../context.js';
import type { EmailTemplate } from '../mfa/senders/sender.js';
import { renderEmailHtml, renderEmailText, type EmailContent } from '../../ui/email-layout.js';
import { escapeHtml } from '../../ui/escape.js';
import type { MessageKey, Translator } from '../../ui/i18n/index.js';
import { pageBase } from '../http/pages.js';
import { emailOverride, EMAIL_PLACEHOLDERS, fillPlaceholders, type EmailPlaceholder } from './email-templates.js';

/**
 * What a template may say: chosen by the server (links it built, codes it drew, names it
 * stored), each value escaped for HTML when it goes into the HTML body.
 */
export interface EmailVars {
  /** The link the email is for (verification, reset, invitation, sign-in). */
  link?: string;
  /** The 6-digit code that stands for the link. */
  code?: string;
  /** How long the link works, in seconds: written in words in the email's language ("30 minutes", "30 Minuten"). */
  expiresIn?: number;
  /** What changed, in words chosen by the server in the email's language: "a passkey", "ein Passkey". */
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
  /** The language it is written in: `messageLanguage(ctx, reader)` (`http/page-language.ts`). */
  i18n: Translator;
  vars?: EmailVars;
}

/** A rendered email: subject, plain text and HTML. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** How long a link works (seconds) when the caller does not say. */
const LIFETIMES: Partial<Record<EmailTemplate, number>> = {
  verify_email: 86_400,
  password_reset: 1800,
  invitation: 7 * 86_400,
  email_sign_in: 600,
  email_change: 86_400,
};

/** The catalog keys of a built-in email; the layout (card, button, code box, footer) is `ui/email-layout.ts`. */
interface Wording {
  subject: MessageKey;
  heading: MessageKey;
  /** Paragraphs after the greeting (after `detail` itself, with `detailFirst`). */
  paragraphs: readonly MessageKey[];
  /** The button's label, shown when the email has a link. */
  action?: MessageKey;
  /** Why the recipient got it: the footer's "You received this because…". */
  footer: MessageKey;
  detailFirst?: true;
}

/** Every account email's built-in wording (each key written out: the catalog test looks for it). */
const WORDING: Readonly<Record<EmailTemplate, Wording>> = {
  verify_email: {
    subject: 'email.verifyEmail.subject',
    heading: 'email.verifyEmail.heading',
    paragraphs: ['email.verifyEmail.body'],
    action: 'email.verifyEmail.action',
    footer: 'email.verifyEmail.footer',
  },
  sign_up_existing: {
    subject: 'email.signUpExisting.subject',
    heading: 'email.signUpExisting.heading',
    paragraphs: ['email.signUpExisting.body', 'email.signUpExisting.body2'],
    footer: 'email.signUpExisting.footer',
  },
  password_reset: {
    subject: 'email.passwordReset.subject',
    heading: 'email.passwordReset.heading',
    paragraphs: ['email.passwordReset.body'],
    action: 'email.passwordReset.action',
    footer: 'email.passwordReset.footer',
  },
  invitation: {
    subject: 'email.invitation.subject',
    heading: 'email.invitation.heading',
    paragraphs: ['email.invitation.body'],
    action: 'email.invitation.action',
    footer: 'email.invitation.footer',
  },
  email_sign_in: {
    subject: 'email.emailSignIn.subject',
    heading: 'email.emailSignIn.heading',
    paragraphs: ['email.emailSignIn.body'],
    action: 'email.emailSignIn.action',
    footer: 'email.emailSignIn.footer',
  },
  email_change: {
    subject: 'email.emailChange.subject',
    heading: 'email.emailChange.heading',
    paragraphs: ['email.emailChange.body'],
    action: 'email.emailChange.action',
    footer: 'email.emailChange.footer',
  },
  email_changed: {
    subject: 'email.emailChanged.subject',
    heading: 'email.emailChanged.heading',
    paragraphs: ['email.emailChanged.body', 'email.emailChanged.body2'],
    footer: 'email.emailChanged.footer',
  },
  password_changed: {
    subject: 'email.passwordChanged.subject',
    heading: 'email.passwordChanged.heading',
    paragraphs: ['email.passwordChanged.body', 'email.passwordChanged.body2'],
    footer: 'email.passwordChanged.footer',
  },
  factor_added: {
    subject: 'email.factorAdded.subject',
    heading: 'email.factorAdded.heading',
    paragraphs: ['email.factorAdded.body', 'email.factorAdded.body2'],
    footer: 'email.factorAdded.footer',
  },
  account_deleted: {
    subject: 'email.accountDeleted.subject',
    heading: 'email.accountDeleted.heading',
    paragraphs: ['email.accountDeleted.body2'],
    footer: 'email.accountDeleted.footer',
    detailFirst: true,
  },
};

/** Whether the built-in `template` has a button (and so shows its link). */
export function emailHasAction(template: EmailTemplate): boolean {
  return WORDING[template].action !== undefined;
}

/**
 * A duration in words, in the translator's language: whole days from two days on, else whole
 * hours, else minutes: "30 minutes", "24 hours", "7 Tage", "دقيقتين".
 *
 * @example
 * durationText(i18n, 1800); // '30 minutes'
 */
function durationText(i18n: Translator, seconds: number): string {
  if (seconds >= 2 * 86_400 && seconds % 86_400 === 0) return i18n.text('time.days', { count: seconds / 86_400 });
  if (seconds >= 3600 && seconds % 3600 === 0) return i18n.text('time.hours', { count: seconds / 3600 });
  return i18n.text('time.minutes', { count: Math.max(1, Math.round(seconds / 60)) });
}

/**
 * Renders an account email for `to`, in `i18n`'s language: the operator's own template files
 * where there are some (`emails.templatesDir`, read at construction; a language's own files
 * before those for every language), the built-in wording (the catalogs) and branded layout
 * otherwise. Placeholders are filled HTML-escaped in HTML and as they are in text; the subject is
 * one line whatever a value holds.
 *
 * @example
 * const { subject, text, html } = renderAccountEmail(ctx, { to: 'ada@example.com', template: 'password_reset', i18n, vars: { link, expiresIn: 1800 } });
 */
export function renderAccountEmail(ctx: Pick<ServerContext, 'config'>, email: AccountEmail): RenderedEmail {
  const { template, i18n } = email;
  const values = placeholderValues(ctx, email);
  const override = emailOverride(ctx.config.emails.overrides, template, i18n.locale);
  const content = builtInContent(email, values);
  const subject = oneLine(override.subject === undefined ? i18n.text(WORDING[template].subject, values) : fillPlaceholders(override.subject, values));
  const text = override.text === undefined ? renderEmailText(content, i18n) : fillPlaceholders(override.text, values);
  const html = override.html === undefined ? renderEmailHtml(pageBase(ctx).branding, content, i18n) : fillPlaceholders(override.html, values, escapeHtml);
  return { subject, text, html };
}

/** Every placeholder's value (`''` for one not given): the vars, the lifetime in words, the product and the recipient. */
function placeholderValues(ctx: Pick<ServerContext, 'config'>, email: AccountEmail): Record<EmailPlaceholder, string> {
  const vars = email.vars ?? {};
  const expiresIn = vars.expiresIn ?? LIFETIMES[email.template];
  return {
    product: ctx.config.branding.productName,
    email: email.to,
    name: vars.name ?? '',
    link: vars.link ?? '',
    code: vars.code ?? '',
    expiresIn: expiresIn === undefined ? '' : durationText(email.i18n, expiresIn),
    detail: vars.detail ?? '',
    newEmail: vars.newEmail ?? '',
  };
}

/** The built-in email's content, in its language (the layout escapes it). */
function builtInContent(email: AccountEmail, values: Record<EmailPlaceholder, string>): EmailContent {
  const { i18n } = email;
  const wording = WORDING[email.template];
  const paragraphs = wording.paragraphs.map((key) => i18n.text(key, values));
  return {
    heading: i18n.text(wording.heading, values),
    greeting: values.name ? i18n.text('email.greeting', { name: values.name }) : i18n.text('email.greetingNoName'),
    paragraphs: wording.detailFirst && values.detail ? [values.detail, ...paragraphs] : paragraphs,
    ...(values.code && EMAIL_PLACEHOLDERS[email.template].includes('code') ? { code: values.code } : {}),
    ...(wording.action && values.link ? { action: { label: i18n.text(wording.action), url: values.link } } : {}),
    footer: i18n.text(wording.footer, values),
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
  const rendered = renderAccountEmail(ctx, email);
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
