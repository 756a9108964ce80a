import type { Store } from '../../stores/contract.js';

/** Tries of `name-2`, `name-3`… before a random suffix. */
const NUMBERED_TRIES = 20;

/**
 * A free username for an account that only gave an address (an invitation, a sign-up): the
 * address's local part in the characters usernames allow, then `-2`, `-3`… while it is taken.
 * People sign in with their address anyway; the username is what operators see.
 *
 * @example
 * await usernameForEmail(store, 'Ada.Lovelace+id@example.com'); // 'ada.lovelace-id' (or 'ada.lovelace-id-2')
 */
export async function usernameForEmail(store: Pick<Store, 'users'>, email: string): Promise<string> {
  const base = usernameBase(email);
  for (let n = 1; n <= NUMBERED_TRIES; n += 1) {
    const candidate = n === 1 ? base : `${base.slice(0, 60)}-${n}`;
    if (!(await store.users.findByLogin(candidate))) return candidate;
  }
  return `${base.slice(0, 55)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The local part lower-cased, other characters as `-`, starting with a letter or digit, 2 to 64 long. */
function usernameBase(email: string): string {
  const local = email.split('@', 1)[0]!.toLowerCase();
  const cleaned = local
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64);
  return cleaned.length >= 2 ? cleaned : `user-${cleaned}`.replace(/-$/, '');
}
