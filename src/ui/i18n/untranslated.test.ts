/**
 * Issue 21's rule for src/ui: every word a user sees comes from the catalogs, none from a string
 * literal. Each page and email template of src/ui is parsed (TypeScript's parser), and this fails on
 * a word in the fixed text of an `html` template (outside tags, `<style>` and `<script>`), in a
 * visible attribute of one (`alt`, `title`, `placeholder`, `aria-label`), or in a string literal
 * that reads as an English phrase ("Sign in", "Try again.") anywhere in the code of src/ui.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const UI = fileURLToPath(new URL('..', import.meta.url));

/** Files whose words are not page text: the catalogs themselves, test fixtures, the stylesheet. */
const NOT_PAGE_TEXT = new Set(['i18n', 'testing', 'styles.ts']);

function uiFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (NOT_PAGE_TEXT.has(entry.name)) return [];
    if (entry.isDirectory()) return uiFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Attributes a user reads or hears. */
const VISIBLE_ATTRIBUTE = /\b(?:alt|title|placeholder|aria-label|aria-description|aria-roledescription)="([^"]*)"/g;

/** Attributes and nothing else: ` autofocus`, ` data-x="\0"`, ` aria-invalid="true"`. */
const ATTRIBUTES_ONLY = /^(?:\s+[\w-]+\0?[\w-]*(?:="[^"]*")?)*\s*$/;

/** The words in the fixed text of one `html` template (its parts between `${}` joined by a hole). */
export function wordsInMarkup(parts: readonly string[]): string[] {
  const markup = parts.join('\u0000');
  const withoutCode = markup.replace(/<(style|script)\b[^>]*>[\s\S]*?<\/\1>/g, '');
  const attributes = [...withoutCode.matchAll(VISIBLE_ATTRIBUTE)].map((match) => match[1]!);
  // A template that starts inside a tag (` name="${n}"`, ` selected`) holds attributes up to its first `>`.
  const firstTag = withoutCode.search(/[<>]/);
  const startsInTag = firstTag === -1 ? ATTRIBUTES_ONLY.test(withoutCode) : withoutCode[firstTag] === '>';
  const body = startsInTag ? withoutCode.slice(firstTag === -1 ? withoutCode.length : firstTag + 1) : withoutCode;
  const text = body
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[#\w]+;/g, ' ');
  return [...attributes, text].flatMap((chunk) => chunk.match(/\p{L}{2,}/gu) ?? []);
}

/** A string literal that reads as an English phrase: a capital, then words with a space or a full stop. */
const ENGLISH_PHRASE = /^[A-Z][a-z’']*(?:[ -][\w’'(),:…-]+)*[.!?…]?$/;
export function isEnglishPhrase(literal: string): boolean {
  return ENGLISH_PHRASE.test(literal) && /[a-z]{2}/.test(literal) && (literal.includes(' ') || /[.!?]$/.test(literal));
}

interface Finding {
  file: string;
  line: number;
  words: string;
}

function findings(path: string): Finding[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Finding[] = [];
  const report = (node: ts.Node, words: string) =>
    found.push({ file: relative(UI, path), line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, words });
  const visit = (node: ts.Node): void => {
    if (ts.isTaggedTemplateExpression(node) && node.tag.getText() === 'html') {
      const template = node.template;
      const parts = ts.isNoSubstitutionTemplateLiteral(template)
        ? [template.text]
        : [template.head.text, ...template.templateSpans.map((span) => span.literal.text)];
      const words = wordsInMarkup(parts);
      if (words.length > 0) report(node, words.join(' '));
    } else if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && isEnglishPhrase(node.text)) {
      // A thrown TypeError speaks to the integrator, not to the user of the page.
      const thrown = ts.isNewExpression(node.parent) && node.parent.expression.getText().endsWith('Error');
      if (!thrown) report(node, node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('page text comes from the catalogs', () => {
  it('reads words in markup and visible attributes, not in tags, styles or scripts', () => {
    expect(wordsInMarkup(['<p class="lead">', '</p><style>a { color: red }</style>'])).toEqual([]);
    expect(wordsInMarkup(['<button type="submit">Sign in</button>'])).toEqual(['Sign', 'in']);
    expect(wordsInMarkup(['<img src="', '" alt="Logo">'])).toEqual(['Logo']);
    expect(wordsInMarkup(['<span aria-hidden="true">&rarr;</span> ', ''])).toEqual([]);
    expect(wordsInMarkup([' name="', '" value="', '"'])).toEqual([]);
    expect(wordsInMarkup([' selected'])).toEqual([]);
    expect(wordsInMarkup([' title="Close"'])).toEqual(['Close']);
    expect(wordsInMarkup([' data-x="', '">Back</a>'])).toEqual(['Back']);
    expect(isEnglishPhrase('Try again.')).toBe(true);
    expect(isEnglishPhrase('Sign in')).toBe(true);
    expect(isEnglishPhrase('account.title')).toBe(false);
    expect(isEnglishPhrase('POST')).toBe(false);
    expect(isEnglishPhrase('Content-Security-Policy')).toBe(false);
  });

  it('no English is left in the pages and emails of src/ui', () => {
    const left = uiFiles(UI).flatMap(findings);
    expect(left.map(({ file, line, words }) => `${file}:${line}: ${words}`)).toEqual([]);
  });
});
