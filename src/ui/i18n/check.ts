import { en, type MessageKey } from './catalogs/en.js';
import { placeholdersOf } from './messages.js';

/** One thing wrong with a catalog, naming its key. */
export interface CatalogProblem {
  key: string;
  problem: string;
}

/**
 * Checks `messages` (one language's, as read from a file: any shape) against English: every key
 * must be one of English's, every message a string of valid ICU MessageFormat using exactly the
 * placeholders and tags of English's message (a translation cannot drop the user code, or add a
 * value the page never passes). `complete` also requires every key (a built-in catalog).
 *
 * @example
 * checkCatalog({ 'login.title': 'Anmelden {x}' }, 'de'); // [{ key: 'login.title', problem: 'uses {x} …' }]
 */
export function checkCatalog(messages: Record<string, unknown>, locale: string, complete = false): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  for (const [key, message] of Object.entries(messages)) {
    if (!Object.hasOwn(en, key)) {
      problems.push({ key, problem: 'is not a message of Gatehouse (a typo, or a key of another version)' });
      continue;
    }
    if (typeof message !== 'string') {
      problems.push({ key, problem: 'must be a string' });
      continue;
    }
    let names: string[];
    try {
      names = placeholdersOf(message, locale);
    } catch (error) {
      problems.push({ key, problem: `is not valid ICU MessageFormat (${(error as Error).message})` });
      continue;
    }
    const expected = placeholdersOf(en[key as MessageKey]);
    if (names.join(' ') !== expected.join(' ')) {
      const shown = (list: string[]) => (list.length > 0 ? list.join(', ') : 'none');
      problems.push({ key, problem: `uses ${shown(names)}; English uses ${shown(expected)}` });
    }
  }
  if (complete) {
    for (const key of Object.keys(en)) if (!Object.hasOwn(messages, key)) problems.push({ key, problem: 'is missing' });
  }
  return problems;
}
