import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { listOperatorFiles } from '../config/operator-files.js';
import type { EmailTemplate } from '../mfa/senders/sender.js';

/** A placeholder a template may use: `{{product}}`, `{{link}}`… */
export type EmailPlaceholder = 'product' | 'name' | 'email' | 'link' | 'code' | 'expiresIn' | 'detail' | 'newEmail';

/**
 * The built-in wording of one account email. Text with `{{placeholder}}`s, filled the same way as
 * an operator's own templates; the layout (card, button, code box, footer) is `ui/email-layout.ts`.
 */
export interface BuiltInEmail {
  subject: string;
  heading: string;
  paragraphs: string[];
  /** The button's label, shown when the email has a link. */
  action?: string;
  /** Why the recipient got it: the footer's "You received this because…". */
  footer: string;
  /** The placeholders the server fills for this template: all an override may use. */
  placeholders: readonly EmailPlaceholder[];
}

const COMMON: readonly EmailPlaceholder[] = ['product', 'name', 'email'];
const LINK: readonly EmailPlaceholder[] = [...COMMON, 'link', 'expiresIn'];
const LINK_AND_CODE: readonly EmailPlaceholder[] = [...LINK, 'code'];

/** Every account email's built-in wording. */
export const BUILT_IN_EMAILS: Readonly<Record<EmailTemplate, BuiltInEmail>> = {
  verify_email: {
    subject: 'Confirm your email address for {{product}}',
    heading: 'Confirm your email address',
    paragraphs: ['Enter this code where you signed up, or confirm with the button. It works for {{expiresIn}}.'],
    action: 'Confirm my email address',
    footer: 'You received this because this address was used to sign up at {{product}}. If that was not you, ignore this email.',
    placeholders: LINK_AND_CODE,
  },
  sign_up_existing: {
    subject: 'Someone tried to create a {{product}} account with your address',
    heading: 'You already have an account',
    paragraphs: [
      'Someone, perhaps you, tried to create a {{product}} account with this email address. You already have one.',
      'If it was you, sign in, or use "Forgot password?" on the sign-in page. If not, you can ignore this email: nothing changed.',
    ],
    footer: 'You received this because someone entered this address on the {{product}} sign-up page.',
    placeholders: COMMON,
  },
  password_reset: {
    subject: 'Reset your {{product}} password',
    heading: 'Reset your password',
    paragraphs: ['Choose a new password with the button below. The link works once, for {{expiresIn}}.'],
    action: 'Choose a new password',
    footer:
      'You received this because someone asked to reset the password of your {{product}} account. If it was not you, ignore this email: your password stays as it is.',
    placeholders: LINK,
  },
  invitation: {
    subject: 'You are invited to {{product}}',
    heading: 'You are invited to {{product}}',
    paragraphs: [
      'An account is waiting for you, for {{email}}. Choose your password with the button below to start using it. The link works for {{expiresIn}}.',
    ],
    action: 'Accept the invitation',
    footer: 'You received this because an administrator of {{product}} invited this address. If you do not want an account, ignore this email.',
    placeholders: LINK,
  },
  email_sign_in: {
    subject: 'Your {{product}} sign-in code',
    heading: 'Your sign-in code',
    paragraphs: ['Enter this code on the sign-in page, or sign in with the button. It works once, for {{expiresIn}}.'],
    action: 'Sign in',
    footer: 'You received this because someone asked to sign in to {{product}} with this address. If it was not you, ignore this email.',
    placeholders: LINK_AND_CODE,
  },
  email_change: {
    subject: 'Confirm your new email address for {{product}}',
    heading: 'Confirm your new email address',
    paragraphs: [
      'Enter this code on your account page, or confirm with the button. Until you do, your account keeps its current address. It works for {{expiresIn}}.',
    ],
    action: 'Confirm my new address',
    footer: 'You received this because someone asked to move an account at {{product}} to this address. If it was not you, ignore this email.',
    placeholders: LINK_AND_CODE,
  },
  email_changed: {
    subject: 'The email address of your {{product}} account is changing',
    heading: 'Your email address is changing',
    paragraphs: [
      'Someone signed in to your account asked to change its email address to {{newEmail}}. It changes once the new address is confirmed.',
      'If this was not you, sign in and change your password now.',
    ],
    footer: 'You received this because this address belongs to an account at {{product}}.',
    placeholders: [...COMMON, 'newEmail'],
  },
  password_changed: {
    subject: 'Your {{product}} password was changed',
    heading: 'Your password was changed',
    paragraphs: [
      'The password of your account was changed, and every other session was signed out.',
      'If this was not you, reset your password now with "Forgot password?" on the sign-in page.',
    ],
    footer: 'You received this because this address belongs to an account at {{product}}.',
    placeholders: COMMON,
  },
  factor_added: {
    subject: 'A sign-in method was added to your {{product}} account',
    heading: 'A sign-in method was added',
    paragraphs: [
      'Your account has a new sign-in method: {{detail}}.',
      'If this was you, there is nothing to do. If it was not, sign in now, remove it on your account page, and change your password.',
    ],
    footer: 'You received this because this address belongs to an account at {{product}}, and we tell you about every change to how it signs in.',
    placeholders: [...COMMON, 'detail'],
  },
  account_deleted: {
    subject: 'Your {{product}} account is deleted',
    heading: 'Your account is deleted',
    paragraphs: ['{{detail}}', 'If this was not you, contact the administrator.'],
    footer: 'You received this because this address belonged to an account at {{product}}.',
    placeholders: [...COMMON, 'detail'],
  },
};

/** The names of the templates, for the files of an operator's own. */
export const EMAIL_TEMPLATES = Object.keys(BUILT_IN_EMAILS) as EmailTemplate[];

/** An operator's own version of one email: any of its three parts (the others stay built in). */
export interface EmailOverride {
  /** One line. */
  subject?: string;
  /** The plain-text body, placeholders filled as they are. */
  text?: string;
  /** A whole HTML document, placeholders filled HTML-escaped. */
  html?: string;
}

/** Every override found, by template. */
export type EmailOverrides = Partial<Record<EmailTemplate, EmailOverride>>;

const PARTS = [
  ['subject', '.subject.txt'],
  ['text', '.txt'],
  ['html', '.html'],
] as const;

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/**
 * Reads an operator's templates from `dir`, once (at construction): `<template>.subject.txt`,
 * `<template>.txt` and `<template>.html`, each optional (a missing file keeps the built-in part).
 * A missing directory means no overrides.
 *
 * @throws {ConfigError} naming the file: one that cannot be read, one that is no template's
 * (a typo), a subject on more than one line, or a `{{placeholder}}` the template does not have.
 */
export function loadEmailTemplates(dir: string | undefined): EmailOverrides {
  if (dir === undefined) return {};
  const files = listOperatorFiles(dir, 'email templates', 'emails.templatesDir');
  const overrides: EmailOverrides = {};
  for (const file of files) {
    const match = matchTemplateFile(file);
    if (!match) {
      throw new ConfigError(
        `email template ${join(dir, file)} is not one of the templates (${EMAIL_TEMPLATES.join(', ')}) with .subject.txt, .txt or .html`,
        'ERR_INVALID_OPTION',
        'emails.templatesDir',
      );
    }
    const path = join(dir, file);
    const content = readTemplateFile(path);
    checkPlaceholders(path, content, BUILT_IN_EMAILS[match.template].placeholders);
    if (match.part === 'subject' && content.trim().includes('\n')) {
      throw new ConfigError(`email template ${path} must be one line (a subject)`, 'ERR_INVALID_OPTION', 'emails.templatesDir');
    }
    (overrides[match.template] ??= {})[match.part] = match.part === 'subject' ? content.trim() : content;
  }
  return overrides;
}

/**
 * Fills `{{placeholder}}`s with `vars` (an absent one with `''`), each value passed through
 * `encode` (HTML escaping for HTML, nothing for text).
 */
export function fillPlaceholders(
  template: string,
  vars: Partial<Record<EmailPlaceholder, string>>,
  encode: (value: string) => string = (value) => value,
): string {
  return template.replace(PLACEHOLDER, (_, name: string) => encode(vars[name as EmailPlaceholder] ?? ''));
}

function matchTemplateFile(file: string): { template: EmailTemplate; part: keyof EmailOverride } | undefined {
  for (const [part, suffix] of PARTS) {
    if (!file.endsWith(suffix)) continue;
    const name = file.slice(0, -suffix.length);
    if ((EMAIL_TEMPLATES as string[]).includes(name)) return { template: name as EmailTemplate, part };
  }
  return undefined;
}

function readTemplateFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `email template ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      'ERR_INVALID_OPTION',
      'emails.templatesDir',
    );
  }
}

function checkPlaceholders(path: string, content: string, allowed: readonly EmailPlaceholder[]): void {
  if (/\{\{|\}\}/.test(content.replace(PLACEHOLDER, ''))) {
    throw new ConfigError(`email template ${path} has a malformed placeholder: write {{name}}`, 'ERR_INVALID_OPTION', 'emails.templatesDir');
  }
  for (const [, name] of content.matchAll(PLACEHOLDER)) {
    if (!(allowed as readonly string[]).includes(name!)) {
      throw new ConfigError(
        `email template ${path} uses {{${name}}}, which this template does not have (it has ${allowed.map((p) => `{{${p}}}`).join(', ')})`,
        'ERR_INVALID_OPTION',
        'emails.templatesDir',
      );
    }
  }
}
