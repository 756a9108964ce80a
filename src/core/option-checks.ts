/**
 * Construction-time checks shared by `createOAuthClient`, `createMachineClient` and
 * `createResourceGuard` (STYLE.md "Config": validated at construction with the bad path named).
 * Internal: not exported from the package.
 */
import { ConfigError } from './errors.js';

/**
 * Every option name of an options type, as an object so that `satisfies Record<keyof T, true>`
 * makes the compiler insist the list is complete and has nothing extra.
 */
export type OptionNames<T> = Record<keyof T, true>;

/**
 * Refuses a value that is not an object where the types say an object must be (the options
 * argument, a nested options group): the check is for JavaScript callers, whom the types do not reach.
 *
 * @throws {ConfigError} `ERR_INVALID_OPTION`, `option` the given path.
 */
export function requireObject(value: unknown, option: string): asserts value is object {
  if (typeof value !== 'object' || value === null) throw new ConfigError(`option "${option}" must be an object`, 'ERR_INVALID_OPTION', option);
}

/**
 * Refuses keys that are not options, as the server's `.strict()` schema does: a typo such as
 * `refreshLeway` would otherwise be ignored silently and the default used. The error names the key
 * (with its path for a nested object) and suggests the closest known name.
 *
 * @throws {ConfigError} `ERR_INVALID_OPTION`, `option` the unknown key's dotted path.
 */
export function rejectUnknownOptions(options: object, known: Record<string, true>, path = ''): void {
  const names = Object.keys(known);
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key)) continue;
    const option = `${path}${key}`;
    const closest = closestName(key, names);
    throw new ConfigError(`unknown option "${option}"${closest ? ` (did you mean "${path}${closest}"?)` : ''}`, 'ERR_INVALID_OPTION', option);
  }
}

/**
 * Refuses a plain-http server URL unless `allowInsecureRequests` is set, at construction: the
 * request would be refused at the first use anyway (oauth4webapi sends nothing but https without
 * that switch), as an outage instead of a configuration error. Loopback hosts are not exempt, for
 * the same reason: the switch is the one place that says "plain http on purpose".
 *
 * @throws {ConfigError} naming `option`.
 */
export function requireHttps(url: string, option: string, allowInsecureRequests: boolean | undefined): void {
  if (!URL.canParse(url)) return;
  const { protocol, origin } = new URL(url);
  if (protocol === 'https:' || (protocol === 'http:' && allowInsecureRequests === true)) return;
  const message =
    protocol === 'http:'
      ? `must be an https URL (got ${origin}), or set allowInsecureRequests: true for a plain-http server (local development and tests only)`
      : `must be an https URL (got ${protocol})`;
  throw new ConfigError(`option "${option}" ${message}`, 'ERR_INVALID_OPTION', option);
}

/** The known name nearest to `key` (case-insensitive edit distance), if near enough to be a typo. */
export function closestName(key: string, names: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
