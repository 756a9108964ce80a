import { readdirSync } from 'node:fs';
import { ConfigError } from '../../core/errors.js';

/**
 * The files an operator put in a directory of theirs (email templates, language files): names,
 * sorted, without subdirectories or hidden files; none when the directory does not exist. One
 * that cannot be read stops the start with a {@link ConfigError} naming `what` and `option`.
 */
export function listOperatorFiles(dir: string, what: string, option: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => !entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(`${what} directory ${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'ERR_INVALID_OPTION', option);
  }
}
