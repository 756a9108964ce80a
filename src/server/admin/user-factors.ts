import type { Store, UserRecord } from '../../stores/contract.js';
import { findUser } from './users.js';

/**
 * Removes every second factor of the user found by sub, username or email (authenticator apps,
 * passkeys, phone and email codes, recovery codes): the support reset of a user who lost theirs
 * (`gatehouse users mfa reset`, `POST /users/{id}/factors/reset`). They sign in with their password
 * alone until they set up a new one (or are asked to, under `mfa.policy` `required`).
 *
 * @throws {AdminNotFoundError} when no user matches.
 */
export async function resetUserFactors(store: Store, login: string): Promise<{ user: UserRecord; removed: number }> {
  const user = await findUser(store, login);
  return { user, removed: await store.factors.deleteByUser(user.id) };
}
