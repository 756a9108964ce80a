import type { Clock } from '../../core/clock.js';
import type { Store, UserRecord } from '../../stores/contract.js';
import { AdminInputError } from '../admin/input-error.js';
import type { AuditLog } from '../audit/audit-log.js';
import { auditEvent } from '../audit/events.js';
import { removeUser } from '../admin/users.js';
import { revokeUserAccess } from '../admin/user-access.js';

/**
 * Artifact kind of an account its owner deleted with a grace period (`accounts.deletionGraceDays`):
 * keyed by the user id, all under one owner so the sweep can list them.
 */
const DELETION_MARK = 'account_deletion';
const MARKS_OWNER = 'account-deletions';
/** A mark outlives its due date by this much, so a sweep that did not run for a while still finds it. */
const MARK_SLACK_MS = 30 * 86_400_000;
/** How many marks one sweep reads. */
const SWEEP_BATCH = 10_000;

/** What a deletion mark holds: when the account is due for removal. */
interface DeletionMark {
  [key: string]: number;
  dueAt: number;
}

/** What {@link deleteOwnAccount} did: removed at once, or disabled until `dueAt`. */
export type AccountDeletion = { removed: true } | { removed: false; dueAt: number };

/**
 * A user deleting their own account. Everything they are signed in with ends at once
 * ({@link revokeUserAccess}): every session, every token. With no grace the account goes as the
 * operator's `removeUser` removes it (factors, linked identities, consents, sessions, sign-in
 * history). With a grace of `graceDays`, the account is disabled (no sign-in, no session) and
 * marked; {@link purgeDeletedAccounts} removes it when due, {@link restoreDeletedAccount} brings it
 * back before.
 */
export async function deleteOwnAccount(store: Store, clock: Clock, user: UserRecord, graceDays: number): Promise<AccountDeletion> {
  if (graceDays === 0) {
    await removeUser(store, clock, user.id);
    return { removed: true };
  }
  const now = clock.now();
  const dueAt = now + graceDays * 86_400_000;
  // Disabled first: from here no sign-in can start a session that the revocation would miss.
  await store.users.update({ ...user, disabled: true, updatedAt: now });
  await revokeUserAccess(store, clock, user.id);
  await store.artifacts.delete(DELETION_MARK, user.id);
  await store.artifacts.put({
    kind: DELETION_MARK,
    id: user.id,
    value: { dueAt } satisfies DeletionMark,
    ownerId: MARKS_OWNER,
    expiresAt: dueAt + MARK_SLACK_MS,
  });
  return { removed: false, dueAt };
}

/**
 * Undoes a deletion still in its grace period: the mark is used up and the account enabled again.
 * Its sessions and tokens stay ended (the user signs in again). Throws {@link AdminInputError} for an
 * account not marked for deletion.
 */
export async function restoreDeletedAccount(store: Store, clock: Clock, user: UserRecord): Promise<void> {
  const now = clock.now();
  const mark = await store.artifacts.consume(DELETION_MARK, user.id, now);
  if (!mark) throw new AdminInputError('user', `"${user.username}" is not waiting for deletion`);
  await store.artifacts.delete(DELETION_MARK, user.id);
  await store.users.update({ ...user, disabled: false, updatedAt: now });
}

/** When the account is due for removal, if it is waiting for it. */
export async function deletionDueAt(store: Store, userId: string): Promise<number | undefined> {
  const mark = await store.artifacts.get<DeletionMark>(DELETION_MARK, userId);
  return mark?.consumedAt === null ? mark.value.dueAt : undefined;
}

/**
 * Removes the accounts whose grace period is over (as `removeUser` does), each recorded as
 * `user.removed` (`by: "deletion_grace"`); returns the removed users. The server runs it with its
 * periodic artifact purge; `gatehouse users purge-deleted` runs it at once. A mark is used up first
 * (atomically), so two sweeps never remove one account twice.
 */
export async function purgeDeletedAccounts(store: Store, clock: Clock, audit: Pick<AuditLog, 'record'>): Promise<UserRecord[]> {
  const now = clock.now();
  const removed: UserRecord[] = [];
  for (const mark of await store.artifacts.listByOwner<DeletionMark>(DELETION_MARK, MARKS_OWNER, SWEEP_BATCH)) {
    if (mark.consumedAt !== null || mark.value.dueAt > now) continue;
    if (!(await store.artifacts.consume(DELETION_MARK, mark.id, now))) continue;
    await store.artifacts.delete(DELETION_MARK, mark.id);
    try {
      const user = await removeUser(store, clock, mark.id);
      await audit.record(auditEvent('user.removed', { sub: user.id, by: 'deletion_grace' }));
      removed.push(user);
    } catch (error) {
      // Removed meanwhile by an operator: nothing left to do.
      if (!(error instanceof AdminInputError)) throw error;
    }
  }
  return removed;
}
