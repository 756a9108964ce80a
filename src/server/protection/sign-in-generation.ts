import { randomToken } from '../../core/encoding.js';
import { StoreConflictError, type Store } from '../../stores/contract.js';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from './rate-limits.js';

/**
 * Artifact kind of a user's sign-in generation: id the user id, value a random token. Every
 * per-account sign-in counter is kept under the account's current generation, so writing a new
 * one ({@link startSignInGeneration}, `gatehouse users unlock`) orphans all of them at once: in
 * this process's memory, in Redis, and on every instance, since each reads the generation from
 * the shared store at each attempt. The orphaned counters expire with their own window.
 */
export const SIGN_IN_GENERATION = 'signin_generation';

/** The generation of an account that was never unlocked (or whose generation expired). */
export const FIRST_GENERATION = '0';

const DAY_MS = 86_400_000;
/** A generation is kept at least this long, whatever the configured windows. */
const MIN_GENERATION_TTL_MS = 30 * DAY_MS;

/** The limiters whose counters are kept per account (and so per generation). */
type AccountLimits = Pick<RateLimitSettings, 'signInPerAccountIp' | 'signInPerAccount'>;

/**
 * The account part of the sign-in counters' keys: `user:<id>:<generation>`.
 *
 * @example
 * accountKey(user.id, await signInGeneration(store, user.id)); // 'user:6f1c…:0'
 */
export function accountKey(userId: string, generation: string): string {
  return `user:${userId}:${generation}`;
}

/** The account's current generation: one store read; {@link FIRST_GENERATION} when none was written. */
export async function signInGeneration(store: Store, userId: string): Promise<string> {
  const record = await store.artifacts.get(SIGN_IN_GENERATION, userId);
  return typeof record?.value === 'string' ? record.value : FIRST_GENERATION;
}

/**
 * How long a generation is kept: a day longer than the longest per-account window or lockout, and
 * at least 30 days. When it expires the account falls back to {@link FIRST_GENERATION}, whose
 * counters must have expired long before (else a lockout from before the unlock would come back);
 * the floor covers a server configured with longer windows than the command that wrote it knew of.
 * `overrides`: the configuration's `rateLimits`, merged over the defaults.
 */
export function signInGenerationTtlMs(overrides: Partial<Record<keyof AccountLimits, Partial<Record<string, number>>>> = {}): number {
  const accountIp = { ...DEFAULT_RATE_LIMITS.signInPerAccountIp, ...overrides.signInPerAccountIp };
  const account = { ...DEFAULT_RATE_LIMITS.signInPerAccount, ...overrides.signInPerAccount };
  const longestSeconds = Math.max(accountIp.seconds, accountIp.lockoutSeconds, account.seconds);
  return Math.max(MIN_GENERATION_TTL_MS, longestSeconds * 1000 + DAY_MS);
}

/**
 * Starts a new generation for the account: its failed sign-ins stop counting at once, every
 * lockout and per-account throttle ends (the per-address limit across accounts is not the
 * account's and stays). Returns the new generation.
 *
 * Replaced by delete-then-put, the store having no atomic replace: an attempt read in between sees
 * {@link FIRST_GENERATION}, which only matters for an account locked before its first unlock and
 * unlocked again within that lockout. Two unlocks racing both end with a fresh generation.
 *
 * Not owned by the user (`ownerId` null): dropping the user's artifacts must not bring the
 * earlier generation's counters back.
 */
export async function startSignInGeneration(store: Store, userId: string, now: number, ttlMs: number): Promise<string> {
  const generation = randomToken(12);
  await store.artifacts.delete(SIGN_IN_GENERATION, userId);
  try {
    await store.artifacts.put({ kind: SIGN_IN_GENERATION, id: userId, value: generation, ownerId: null, expiresAt: now + ttlMs });
  } catch (error) {
    // A concurrent unlock wrote its own fresh generation: the account is unlocked either way.
    if (!(error instanceof StoreConflictError)) throw error;
    return signInGeneration(store, userId);
  }
  return generation;
}
