import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { listOperatorFiles } from '../config/operator-files.js';
import { canonicalLocale } from '../../ui/i18n/locales.js';
import type { EmailTemplate } from '../mfa/senders/sender.js';

/** A placeholder a template may use: `{{product}}`, `{{link}}`… */
export type EmailPlaceholder = 'product' | 'name' | 'email' | 'link' | 'code' | 'expiresIn' | 'detail' | 'newEmail';

const COMMON: readonly EmailPlaceholder[] = ['product', 'name', 'email'];
const LINK: readonly EmailPlaceholder[] = [...COMMON, 'link', 'expiresIn'];
const LINK_AND_CODE: readonly EmailPlaceholder[] = [...LINK, 'code'];

/**
 * The placeholders the server fills for each account email: all an operator's template may use.
 * (The built-in wording is in the message catalogs, `email.*`; see `accounts/emails.ts`.)
 */
export const EMAIL_PLACEHOLDERS: Readonly<Record<EmailTemplate, readonly EmailPlaceholder[]>> = {
  verify_email: LINK_AND_CODE,
  sign_up_existing: COMMON,
  password_reset: LINK,
  invitation: LINK,
  email_sign_in: LINK_AND_CODE,
  email_change: LINK_AND_CODE,
  email_changed: [...COMMON, 'newEmail'],
  password_changed: COMMON,
  factor_added: [...COMMON, 'detail'],
  account_deleted: [...COMMON, 'detail'],
};

/** The names of the templates, for the files of an operator's own. */
export const EMAIL_TEMPLATES = Object.keys(EMAIL_PLACEHOLDERS) as EmailTemplate[];

/** An operator's own version of one email: any of its three parts (the others stay built in). */
export interface EmailOverride {
  /** One line. */
  subject?: string;
  /** The plain-text body, placeholders filled as they are. */
  text?: string;
  /** A whole HTML document, placeholders filled HTML-escaped. */
  html?: string;
}

/**
 * Every override found, by template, then by language: `''` for the files that name none (used
 * in every language), a language tag (`de`, `pt-BR`) for `<template>.<language>.*`.
 */
export type EmailOverrides = Partial<Record<EmailTemplate, Record<string, EmailOverride>>>;

/**
 * The operator's version of `template` in `locale`, part by part: the file for that language,
 * else the one for every language (a part neither has stays built in).
 *
 * @example
 * // password_reset.de.subject.txt and password_reset.html: a German email gets both.
 * emailOverride(overrides, 'password_reset', 'de');
 */
export function emailOverride(overrides: EmailOverrides, template: EmailTemplate, locale: string): EmailOverride {
  const byLanguage = overrides[template] ?? {};
  return { ...byLanguage[''], ...byLanguage[locale] };
}

const PARTS = [
  ['subject', '.subject.txt'],
  ['text', '.txt'],
  ['html', '.html'],
] as const;

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/**
 * Reads an operator's templates from `dir`, once (at construction): `<template>.subject.txt`,
 * `<template>.txt` and `<template>.html`, each optional (a missing file keeps the built-in part),
 * and the same for one language, `<template>.<language>.html` (`password_reset.de.html`), which
 * that language's emails use before the file without a language. A missing directory means no
 * overrides.
 *
 * @param languages - The offered languages (a file for another one would never be used).
 * @throws {ConfigError} naming the file: one that cannot be read, one that is no template's
 * (a typo), one for a language not offered, a subject on more than one line, or a
 * `{{placeholder}}` the template does not have.
 */
export function loadEmailTemplates(dir: string | undefined, languages: readonly string[]): EmailOverrides {
  if (dir === undefined) return {};
  const files = listOperatorFiles(dir, 'email templates', 'emails.templatesDir');
  const overrides: EmailOverrides = {};
  for (const file of files) {
    const path = join(dir, file);
    const match = matchTemplateFile(file);
    if (!match) {
      throw new ConfigError(
        `email template ${path} is not one of the templates (${EMAIL_TEMPLATES.join(', ')}) with .subject.txt, .txt or .html, optionally with a language before it (.de.html)`,
        'ERR_INVALID_OPTION',
        'emails.templatesDir',
      );
    }
    const locale = match.language === undefined ? '' : offeredLanguage(path, match.language, languages);
    const content = readTemplateFile(path);
    checkPlaceholders(path, content, EMAIL_PLACEHOLDERS[match.template]);
    if (match.part === 'subject' && content.trim().includes('\n')) {
      throw new ConfigError(`email template ${path} must be one line (a subject)`, 'ERR_INVALID_OPTION', 'emails.templatesDir');
    }
    ((overrides[match.template] ??= {})[locale] ??= {})[match.part] = match.part === 'subject' ? content.trim() : content;
  }
  return overrides;
}

/** The offered language a file name's tag names (`pt-br` is `pt-BR`); a configuration error otherwise. */
function offeredLanguage(path: string, tag: string, languages: readonly string[]): string {
  const canonical = canonicalLocale(tag)?.toLowerCase();
  const found = languages.find((locale) => locale.toLowerCase() === canonical);
  if (found === undefined) {
    throw new ConfigError(
      `email template ${path} is for the language "${tag}", which is not offered (${languages.join(', ')})`,
      'ERR_INVALID_OPTION',
      'emails.templatesDir',
    );
  }
  return found;
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

function matchTemplateFile(file: string): { template: EmailTemplate; language?: string; part: keyof EmailOverride } | undefined {
  for (const [part, suffix] of PARTS) {
    if (!file.endsWith(suffix)) continue;
    // Template names have no dot: what follows the first one is a language.
    const [name = '', language] = file.slice(0, -suffix.length).split(/\.(.*)/s);
    if ((EMAIL_TEMPLATES as string[]).includes(name)) return { template: name as EmailTemplate, part, ...(language !== undefined ? { language } : {}) };
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
