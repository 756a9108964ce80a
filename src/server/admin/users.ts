import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { hashPassword } from '../../core/password.js';
import type { ListOptions, Store, UserProfile, UserRecord, UserRole } from '../../stores/contract.js';
import { readEmailAddress } from '../accounts/email-address.js';
import { userOwner } from '../session/sessions.js';
import { signInGenerationTtlMs, startSignInGeneration } from '../protection/sign-in-generation.js';
import { AdminInputError, AdminNotFoundError } from './input-error.js';
import { revokeUserAccess, type UserAccessRevocation } from './user-access.js';

/** NIST SP 800-63B §5.1.1.2: at least 8 characters; a generous upper bound keeps hashing cost bounded. */
const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;

export interface NewUserInput {
  username: string;
  email?: string | null;
  emailVerified?: boolean;
  name?: string;
  password?: string;
  profile?: UserProfile;
}

function checkPassword(password: string): void {
  // Code points, not UTF-16 units or graphemes: NIST SP 800-63B counts each code point as a character.
  // eslint-disable-next-line @typescript-eslint/no-misused-spread
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new AdminInputError('password', `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
}

function normaliseUsername(username: string): string {
  const value = username.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(value)) {
    throw new AdminInputError('username', 'must be 2 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  return value;
}

/** An address as stored ({@link readEmailAddress}); `null` for none. Throws {@link AdminInputError} when it is not one. */
export function normaliseEmail(email: string | null | undefined): string | null {
  if (email === undefined || email === null || email === '') return null;
  const value = readEmailAddress(email);
  if (value === undefined) throw new AdminInputError('email', `"${email}" is not an email address`);
  return value;
}

/** Creates a user; the password is hashed with argon2id off the event loop. */
export async function createUser(store: Store, input: NewUserInput, now: number): Promise<UserRecord> {
  const username = normaliseUsername(input.username);
  const email = normaliseEmail(input.email);
  if (input.password !== undefined) checkPassword(input.password);
  const user: UserRecord = {
    id: randomUUID(),
    username,
    email,
    emailVerified: input.emailVerified ?? false,
    passwordHash: input.password === undefined ? null : await hashPassword(input.password),
    profile: { ...input.profile, ...(input.name ? { name: input.name } : {}) },
    disabled: false,
    roles: [],
    createdAt: now,
    updatedAt: now,
  };
  await store.users.create(user);
  return user;
}

/**
 * Sets a new password for the user found by id, username or email, then signs them out everywhere
 * and ends their tokens ({@link revokeUserAccess}): whoever knew the old password keeps nothing.
 * The password changes first, so no one can sign in with the old one after the revocation.
 */
export async function setUserPassword(
  store: Store,
  clock: Clock,
  login: string,
  password: string,
): Promise<{ user: UserRecord; revoked: UserAccessRevocation }> {
  checkPassword(password);
  const user = await findUser(store, login);
  const updated = { ...user, passwordHash: await hashPassword(password), updatedAt: clock.now() };
  await store.users.update(updated);
  return { user: updated, revoked: await revokeUserAccess(store, clock, user.id) };
}

/**
 * Removes the user found by id, username or email, ending first everything they are signed in
 * with: their tokens are inactive from the first step on, their sessions and sign-in history are
 * deleted and their consents revoked. In that order so that an interruption never leaves a
 * removed user's tokens working, and a sign-in racing the removal ends with it.
 */
export async function removeUser(store: Store, clock: Clock, login: string): Promise<UserRecord> {
  const user = await findUser(store, login);
  await revokeUserAccess(store, clock, user.id);
  await store.users.delete(user.id);
  // Nothing left to remember for a user who no longer exists.
  for (const consent of await store.consents.listBySubject(user.id)) {
    if (consent.revokedAt === null) await store.consents.revoke(consent.id, clock.now());
  }
  await store.artifacts.deleteByOwner(userOwner(user.id));
  return user;
}

/** Finds a user by id, username or email; throws {@link AdminInputError} when there is none. */
export async function findUser(store: Store, login: string): Promise<UserRecord> {
  const user = (await store.users.get(login)) ?? (await store.users.findByLogin(login));
  if (!user) throw new AdminNotFoundError('user', `no user "${login}"`);
  return user;
}

/** The users, a page at a time (every one without `options`). */
export function listUsers(store: Store, options?: ListOptions): Promise<UserRecord[]> {
  return store.users.list(options);
}

/** What {@link updateUser} changes, each only when given; `null` clears the name or the email. */
export interface UserUpdate {
  name?: string | null | undefined;
  email?: string | null | undefined;
  disabled?: boolean | undefined;
}

/**
 * Changes the name, email or disabled flag of the user found by id, username or email. A new
 * email is unverified. Disabling also signs them out everywhere and ends their tokens
 * ({@link revokeUserAccess}): a disabled account keeps nothing it signed in with.
 */
export async function updateUser(store: Store, clock: Clock, login: string, changes: UserUpdate): Promise<UserRecord> {
  const user = await findUser(store, login);
  const profile = { ...user.profile };
  if (changes.name === null || changes.name === '') delete profile.name;
  else if (changes.name !== undefined) {
    const name = changes.name.trim();
    if (!name || name.length > 200) throw new AdminInputError('name', 'must be 1 to 200 characters');
    profile.name = name;
  }
  const email = changes.email === undefined ? user.email : normaliseEmail(changes.email);
  const updated: UserRecord = {
    ...user,
    profile,
    email,
    emailVerified: email === user.email ? user.emailVerified : false,
    disabled: changes.disabled ?? user.disabled,
    updatedAt: clock.now(),
  };
  if (!(await store.users.update(updated))) throw new AdminNotFoundError('user', `no user "${login}"`);
  if (updated.disabled && !user.disabled) await revokeUserAccess(store, clock, user.id);
  return updated;
}

/** Signs the user found by id, username or email out everywhere and ends their tokens ({@link revokeUserAccess}). */
export async function revokeUserSessions(store: Store, clock: Clock, login: string): Promise<{ user: UserRecord; revoked: UserAccessRevocation }> {
  const user = await findUser(store, login);
  return { user, revoked: await revokeUserAccess(store, clock, user.id) };
}

/**
 * Ends the sign-in lockouts and per-account throttling of the user found by id, username or email,
 * at once and on every server sharing the store (a new sign-in generation); the limit per address
 * across accounts stays, and their sessions and tokens are left as they are.
 */
export async function unlockUser(store: Store, clock: Clock, login: string, rateLimits?: Parameters<typeof signInGenerationTtlMs>[0]): Promise<UserRecord> {
  const user = await findUser(store, login);
  await startSignInGeneration(store, user.id, clock.now(), signInGenerationTtlMs(rateLimits));
  return user;
}

/** What {@link grantAdminRole} and {@link revokeAdminRole} did: the user as now stored, and whether anything changed. */
export interface RoleChange {
  user: UserRecord;
  /** `false` when the user already held (grant) or already lacked (revoke) the role. */
  changed: boolean;
}

/** The user found by id, username or email with `role` added or taken away; unchanged (and not written) when it already was so. */
async function setRole(store: Store, clock: Clock, login: string, role: UserRole, held: boolean): Promise<RoleChange> {
  const user = await findUser(store, login);
  if (user.roles.includes(role) === held) return { user, changed: false };
  const roles = held ? [...user.roles, role] : user.roles.filter((candidate: string) => candidate !== role);
  const updated: UserRecord = { ...user, roles, updatedAt: clock.now() };
  if (!(await store.users.update(updated))) throw new AdminNotFoundError('user', `no user "${login}"`);
  return { user: updated, changed: true };
}

/**
 * Gives the user found by id, username or email the `admin` role: they may then sign in to the
 * admin console and obtain `admin`/`admin:read` tokens for the admin API, always with a second
 * factor. Idempotent. The caller records `admin.role_granted` with who granted it
 * (`gatehouse users grant-admin`, `PUT /users/{id}/roles/admin`).
 */
export function grantAdminRole(store: Store, clock: Clock, login: string): Promise<RoleChange> {
  return setRole(store, clock, login, 'admin', true);
}

/**
 * Takes the `admin` role from the user found by id, username or email. Their admin tokens stop
 * working at their next call (the admin API checks the role at every call). Revoking the last
 * admin's role is allowed: `gatehouse users grant-admin` on the server's database is always the way
 * back. Idempotent; the caller records `admin.role_revoked`.
 */
export function revokeAdminRole(store: Store, clock: Clock, login: string): Promise<RoleChange> {
  return setRole(store, clock, login, 'admin', false);
}

/** A user as shown to operators: never the password hash. */
export function describeUser(user: UserRecord): Record<string, unknown> {
  return {
    sub: user.id,
    username: user.username,
    email: user.email,
    email_verified: user.emailVerified,
    ...user.profile,
    has_password: user.passwordHash !== null,
    disabled: user.disabled,
    roles: [...user.roles],
    created_at: new Date(user.createdAt).toISOString(),
  };
}
