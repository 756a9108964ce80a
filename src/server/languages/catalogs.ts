import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { listOperatorFiles } from '../config/operator-files.js';
import { canonicalLocale, checkCatalog, compileMessages, type Catalog, type Messages } from '../../ui/i18n/index.js';

const OPTION = 'languages.dir';

/**
 * The installation's messages: the built-in catalogs with the operator's files from `dir` merged in,
 * read and checked once (at construction). `<language>.json` is an object of messages by key: for a
 * built-in language it replaces those messages; for another it adds the language (what it leaves
 * out stays English). A missing directory means none. `defaultLanguage` must be one of the result.
 *
 * @throws {ConfigError} naming the file (and key): one that cannot be read or parsed, a name that
 * is no language tag, a key Gatehouse does not have, a message that is not valid ICU MessageFormat
 * or whose placeholders differ from English's; or a default language not offered.
 */
export function loadMessages(dir: string | undefined, defaultLanguage: string): Messages {
  const overrides: Record<string, Partial<Catalog>> = {};
  for (const file of dir === undefined ? [] : listOperatorFiles(dir, 'languages', OPTION)) {
    const path = join(dir!, file);
    const locale = file.endsWith('.json') ? canonicalLocale(file.slice(0, -'.json'.length)) : undefined;
    if (locale === undefined) {
      throw new ConfigError(`language file ${path} must be named <language>.json with a language tag like de or pt-BR`, 'ERR_INVALID_OPTION', OPTION);
    }
    const messages = readMessages(path);
    const problem = checkCatalog(messages, locale)[0];
    if (problem) throw new ConfigError(`language file ${path}: message ${problem.key} ${problem.problem}`, 'ERR_INVALID_OPTION', OPTION);
    overrides[locale] = { ...overrides[locale], ...(messages as Partial<Catalog>) };
  }
  const messages = compileMessages(overrides);
  const fallback = canonicalLocale(defaultLanguage);
  if (fallback === undefined || !messages.locales.includes(fallback)) {
    throw new ConfigError(
      `option "languages.default" must be one of the languages offered (${messages.locales.join(', ')}), not ${defaultLanguage}`,
      'ERR_INVALID_OPTION',
      'languages.default',
    );
  }
  return messages;
}

function readMessages(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'is not valid JSON' : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new ConfigError(`language file ${path} ${reason}`, 'ERR_INVALID_OPTION', OPTION);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`language file ${path} must be a JSON object of messages by key`, 'ERR_INVALID_OPTION', OPTION);
  }
  return parsed as Record<string, unknown>;
}
