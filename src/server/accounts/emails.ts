import type { ServerContext } from '../context.js';
import type { EmailTemplate } from '../mfa/senders/sender.js';
import { escapeHtml } from '../../ui/escape.js';

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

interface Rendered {
  subject: string;
  text: string;
  html: string;
}

/** The built-in wording: subject and paragraphs (plain text; `{product}` and the vars filled in). */
const TEMPLATES: Record<EmailTemplate, { subject: string; body: (vars: EmailVars, product: string) => string[]; action?: string }> = {
  verify_email: {
    subject: 'Confirm your email address for {product}',
    body: (v) => [
      `Your code is ${v.code ?? ''}. Or confirm with the button below. It works for ${v.expiresIn ?? '24 hours'}.`,
      'If you did not ask for this, you can ignore this email.',
    ],
    action: 'Confirm my email address',
  },
  sign_up_existing: {
    subject: 'Someone tried to create a {product} account with your address',
    body: () => [
      'Someone, perhaps you, tried to create an account with this email address. You already have one.',
      'If it was you, sign in, or use "Forgot password?" on the sign-in page. If not, you can ignore this email: nothing changed.',
    ],
  },
  password_reset: {
    subject: 'Reset your {product} password',
    body: (v) => [
      `Choose a new password with the button below. The link works once, for ${v.expiresIn ?? '30 minutes'}.`,
      'If you did not ask for this, you can ignore this email: your password stays as it is.',
    ],
    action: 'Choose a new password',
  },
  invitation: {
    subject: 'You are invited to {product}',
    body: (v) => [`You are invited to create your account. Choose your password with the button below. The link works for ${v.expiresIn ?? '7 days'}.`],
    action: 'Accept the invitation',
  },
  email_sign_in: {
    subject: 'Your {product} sign-in code',
    body: (v) => [
      `Your sign-in code is ${v.code ?? ''}. Or sign in with the button below. It works once, for ${v.expiresIn ?? '10 minutes'}.`,
      'If you did not ask for this, you can ignore this email.',
    ],
    action: 'Sign in',
  },
  email_change: {
    subject: 'Confirm your new email address for {product}',
    body: (v) => [
      `Your code is ${v.code ?? ''}. Or confirm with the button below. Until you do, your account keeps its current address. It works for ${v.expiresIn ?? '24 hours'}.`,
    ],
    action: 'Confirm my new address',
  },
  email_changed: {
    subject: 'The email address of your {product} account is changing',
    body: (v) => [
      `Someone signed in to your account asked to change its email address to ${v.newEmail ?? 'another address'}. It changes once the new address is confirmed.`,
      'If this was not you, sign in and change your password now.',
    ],
  },
  password_changed: {
    subject: 'Your {product} password was changed',
    body: () => [
      'The password of your account was changed, and every other session was signed out.',
      'If this was not you, reset your password now with "Forgot password?" on the sign-in page.',
    ],
  },
  factor_added: {
    subject: 'A sign-in method was added to your {product} account',
    body: (v) => [
      `${capitalised(v.detail ?? 'A sign-in method')} was added to your account.`,
      'If this was you, there is nothing to do. If it was not, sign in now, remove it on your account page, and change your password.',
    ],
  },
  account_deleted: {
    subject: 'Your {product} account is deleted',
    body: (v) => [v.detail ?? 'Your account was deleted, with everything it held.', 'If this was not you, contact the administrator.'],
  },
};

/** Fills the template: plain text (vars as they are) and HTML (every var escaped). */
export function renderAccountEmail(ctx: Pick<ServerContext, 'config'>, template: EmailTemplate, vars: EmailVars = {}): Rendered {
  const product = ctx.config.branding.productName;
  const spec = TEMPLATES[template];
  const subject = spec.subject.replaceAll('{product}', product);
  const paragraphs = spec.body(vars, product);
  const text = [...paragraphs, ...(spec.action && vars.link ? [`${spec.action}: ${vars.link}`] : [])].join('\n\n');
  const html =
    `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">` +
    paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`).join('') +
    (spec.action && vars.link ? `<p><a href="${escapeHtml(vars.link)}">${escapeHtml(spec.action)}</a></p>` : '') +
    `</body></html>`;
  return { subject, text, html };
}

/**
 * Sends an account email through the configured email sender; resolves when it was accepted, and
 * rejects with a `SenderError` otherwise. Without an email sender it does nothing: the features
 * that need one are off (see `accountEmailsAvailable`).
 */
export async function sendAccountEmail(ctx: Pick<ServerContext, 'config'>, email: AccountEmail): Promise<void> {
  const sender = ctx.config.mfa.senders.email;
  if (!sender?.sendEmail) return;
  const rendered = renderAccountEmail(ctx, email.template, email.vars);
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

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
