import type { UserRecord } from '../../stores/contract.js';
import type { AdminScope } from './operations.js';

/** The admin API's scopes (`admin` reads and writes, `admin:read` reads). */
const ADMIN_SCOPES: readonly AdminScope[] = ['admin', 'admin:read'];

/** RFC 8176 `amr` value of a sign-in that passed more than one factor. */
const MULTI_FACTOR = 'mfa';

function isAdminScope(token: string): boolean {
  return (ADMIN_SCOPES as readonly string[]).includes(token);
}

/** Whether an authorization request asks for `admin` or `admin:read`: its sign-in then needs a second factor. */
export function asksForAdminScope(scope: readonly string[]): boolean {
  return scope.some(isAdminScope);
}

/**
 * Whether a person may hold an admin scope now: an account that exists, is not disabled and holds
 * the `admin` role. Checked when a code is issued and again at every call of the admin API, so a
 * revoked role or a disabled account is refused at once.
 */
export function holdsAdminRole(user: Pick<UserRecord, 'disabled' | 'roles'> | undefined): boolean {
  return user !== undefined && !user.disabled && user.roles.includes('admin');
}

/**
 * The scopes of an authorization request a person is granted: every scope asked for, but `admin`
 * and `admin:read` only to a user who holds the admin role ({@link holdsAdminRole}) and signed in
 * with a second factor (`amr` has `mfa`; asking for them demands one, see `mfaRequirement`).
 *
 * Anyone else simply does not get them: RFC 6749 §3.3 lets the server grant fewer scopes than
 * asked, and the token response then states the narrower `scope`. Never an error: an error would
 * tell whoever knows an account's password whether it is an administrator's.
 */
export function grantableScope(requested: readonly string[], user: Pick<UserRecord, 'disabled' | 'roles'>, amr: readonly string[]): string[] {
  if (holdsAdminRole(user) && amr.includes(MULTI_FACTOR)) return [...requested];
  return requested.filter((token) => !isAdminScope(token));
}
