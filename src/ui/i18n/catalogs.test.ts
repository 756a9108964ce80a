/**
 * The catalogs' check, run in CI with the suite: every built-in catalog has every key of English
 * and no other, each message parses as ICU MessageFormat with exactly English's placeholders and
 * tags, and every key is used: written literally (`t('login.title')`, `{ key: 'error.expired.title' }`)
 * somewhere in src/ outside the catalogs and tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { en } from './catalogs/en.js';
import { checkCatalog } from './index.js';
import { BUILT_IN_CATALOGS } from './messages.js';

const SRC = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' || path === join(SRC, 'ui', 'i18n', 'catalogs') ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the built-in catalogs', () => {
  it.each(Object.entries(BUILT_IN_CATALOGS))('%s has every key of English, each valid ICU with the same placeholders', (locale, catalog) => {
    expect(checkCatalog(catalog, locale, true)).toEqual([]);
  });

  it('ship the seven languages of issue 21', () => {
    expect(Object.keys(BUILT_IN_CATALOGS)).toEqual(['en', 'de', 'fr', 'es', 'pt-BR', 'ja', 'ar']);
  });

  it('have no unused key: each is written literally somewhere in src/', () => {
    const code = sourceFiles(SRC)
      .map((path) => readFileSync(path, 'utf8'))
      .join('\n');
    const unused = Object.keys(en).filter((key) => !code.includes(`'${key}'`));
    expect(unused, `keys not used in ${relative(process.cwd(), SRC)}`).toEqual([]);
  });

  it('catch what a translation can get wrong', () => {
    expect(checkCatalog({ 'login.titel': 'x', 'login.continueWith': 'Weiter mit {anbieter}', 'login.title': 'Anmelden {', 'login.or': 3 }, 'de')).toEqual([
      { key: 'login.titel', problem: 'is not a message of Gatehouse (a typo, or a key of another version)' },
      { key: 'login.continueWith', problem: 'uses {anbieter}; English uses {provider}' },
      { key: 'login.title', problem: expect.stringMatching(/^is not valid ICU MessageFormat/) },
      { key: 'login.or', problem: 'must be a string' },
    ]);
    expect(checkCatalog({ 'login.signUp': 'Neu hier? Konto erstellen' }, 'de')).toEqual([{ key: 'login.signUp', problem: 'uses none; English uses <link>' }]);
    expect(checkCatalog({}, 'de', true)).toHaveLength(Object.keys(en).length);
  });
});
