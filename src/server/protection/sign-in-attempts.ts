import type { UserRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { isKnownBrowser } from '../session/known-browsers.js';
import type { Reservation } from './rate-limits.js';
import { accountKey, signInGeneration } from './sign-in-generation.js';

/** Longest extra wait before answering a failed sign-in (progressive delay). */
const MAX_DELAY_MS = 4000;
const FIRST_DELAY_MS = 250;

/** Who a sign-in attempt is about: the resolved account when it exists, else what was typed. */
export interface SignInTarget {
  /**
   * `user:<id>:<generation>` for an existing account (its username and email count together; a
   * new generation, from `gatehouse users unlock`, starts its counters afresh), else `login:<typed>`.
   */
  account: string;
  ip: string;
  /** The browser completed a sign-in to this account before: exempt from the per-account budget. */
  knownBrowser: boolean;
}

/**
 * Who a password attempt counts against: the account in its current sign-in generation, and
 * whether this browser signed in to it before. Two store reads, side by side, for an existing
 * account; none for an unknown name (counted by what was typed, lower-cased).
 */
export async function signInTarget(
  ctx: Pick<
    ServerContext,
    'audit' | 'clock' | 'config' | 'keys' | 'limits' | 'logger' | 'metrics' | 'network' | 'request' | 'secrets' | 'store' | 'upstreams' | 'urls'
  >,
  attempt: { login: string; user: UserRecord | undefined; browserId: string | undefined; ip: string },
): Promise<SignInTarget> {
  const { login, user, browserId, ip } = attempt;
  if (!user) return { account: `login:${login.toLowerCase()}`, ip, knownBrowser: false };
  const [knownBrowser, generation] = await Promise.all([isKnownBrowser(ctx, browserId, user.id), signInGeneration(ctx.store, user.id)]);
  return { account: accountKey(user.id, generation), ip, knownBrowser };
}

/**
 * Reserves a password attempt before the password is checked (spend, then check): one point per
 * account + address (with a lockout), per address, and per account from every address (unless the
 * browser is known to the account). Refused: nothing may be verified. Of N concurrent attempts at
 * most the smallest budget of wrong passwords is verified; a correct password gets its own points
 * back (failures before it still count, until their window ends).
 */
export function reserveSignIn(ctx: Pick<ServerContext, 'limits'>, target: SignInTarget): Promise<Reservation> {
  return ctx.limits.reserve([
    { limiter: 'signInPerAccountIp', key: `${target.account}|${target.ip}` },
    { limiter: 'signInPerIp', key: target.ip },
    ...(target.knownBrowser ? [] : [{ limiter: 'signInPerAccount' as const, key: target.account }]),
  ]);
}

/** How long to wait before answering a failed attempt: 250 ms, doubling with each failure on the account, at most 4 s. */
export function failureDelayMs(reservation: Reservation): number {
  const failures = Math.max(reservation.count('signInPerAccountIp'), reservation.count('signInPerAccount'), 1);
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - 1));
}

/** What {@link accountSignInState} reads: the account's failed sign-ins counted from every address. */
export interface AccountSignInState {
  /** Failed password attempts counted in the current window (`signInPerAccount`; known browsers are not counted). */
  failures: number;
  /** How many the window allows before new browsers are refused. */
  budget: number;
  /** Set while password sign-ins from browsers new to the account are refused: seconds until they are taken again. */
  throttledForSeconds: number | undefined;
}

/**
 * The per-account sign-in throttle of a user as it stands, read without spending an attempt (the
 * admin console's user page). Only the account-wide counter can be read: the lockouts of
 * `signInPerAccountIp` are kept per account and address, and no address is known to look them up
 * under (`login.failed` events do not record the account).
 * `unlockUser` ends both.
 */
export async function accountSignInState(ctx: Pick<ServerContext, 'limits' | 'store'>, userId: string): Promise<AccountSignInState> {
  const key = accountKey(userId, await signInGeneration(ctx.store, userId));
  const counted = await ctx.limits.peek('signInPerAccount', key);
  return { failures: counted.count, budget: counted.points, throttledForSeconds: counted.retryAfterSeconds };
}
