import { StoreConflictError, type Store } from '../../stores/contract.js';

/** Tries of `name-2`, `name-3`… before a random suffix. */
const NUMBERED_TRIES = 20;
/** Creations that may lose the race for a generated name before the conflict is let through. */
const CREATE_TRIES = 5;

/**
 * A free username for an account that only gave an address (an invitation, a sign-up): the
 * address's local part in the characters usernames allow, then `-2`, `-3`… while it is taken.
 * People sign in with their address anyway; the username is what operators see.
 *
 * @example
 * await usernameForEmail(store, 'Ada.Lovelace+id@example.com'); // 'ada.lovelace-id' (or 'ada.lovelace-id-2')
 */
async function usernameForEmail(store: Pick<Store, 'users'>, email: string): Promise<string> {
  const base = usernameBase(email);
  for (let n = 1; n <= NUMBERED_TRIES; n += 1) {
    const candidate = n === 1 ? base : `${base.slice(0, 60)}-${n}`;
    if (!(await store.users.findByLogin(candidate))) return candidate;
  }
  return `${base.slice(0, 55)}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Creates an account made from an address under the next free username ({@link usernameForEmail}).
 * Two creations can pick the same free name at once; the store lets one have it, and the other
 * (a {@link StoreConflictError} on `username`) tries again with the next name. Any other error,
 * a conflict on the address included, is the caller's to answer.
 *
 * @example
 * const user = await createWithUsernameFor(store, email, (username) => createUser(store, { username, email }, now));
 */
export async function createWithUsernameFor<T>(store: Pick<Store, 'users'>, email: string, create: (username: string) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const username = await usernameForEmail(store, email);
    try {
      return await create(username);
    } catch (error) {
      if (!(error instanceof StoreConflictError) || error.field !== 'username' || attempt >= CREATE_TRIES) throw error;
    }
  }
}

/** The local part in the characters usernames allow ({@link usernameCharacters}), 2 to 64 long. */
function usernameBase(email: string): string {
  const cleaned = usernameCharacters(email.split('@', 1)[0]!);
  return cleaned.length >= 2 ? cleaned : `user-${cleaned}`.replace(/-$/, '');
}

/**
 * Text in the characters a username allows (the admin rule: letters, digits, `.`, `_`, `-`,
 * starting with a letter or digit): lower-cased, other characters as `-`, at most 64 long. It may
 * come out shorter than the 2 characters a username needs: the caller decides what then.
 *
 * @example
 * usernameCharacters('_Ada Lovelace'); // 'ada-lovelace'
 */
export function usernameCharacters(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64);
}
