import { StoreConflictError } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';

const ATTEMPT = 'attempt_slot';

/** The outcome of spending an attempt. */
export interface AttemptResult {
  allowed: boolean;
  /** When the budget refills (milliseconds since the epoch), when not allowed. */
  retryAt: number;
}

/**
 * Spends one attempt of `max` in the current window for `key`. Each attempt claims a numbered
 * single-use slot in the store, so the count holds under concurrency and across instances —
 * no read-then-write race lets an attacker exceed it.
 */
export async function spendAttempt(ctx: ServerContext, key: string, max: number, windowMs: number): Promise<AttemptResult> {
  const now = ctx.options.clock.now();
  const window = Math.floor(now / windowMs);
  const retryAt = (window + 1) * windowMs;
  for (let slot = 0; slot < max; slot += 1) {
    try {
      await ctx.options.store.artifacts.put({ kind: ATTEMPT, id: `${key}:${window}:${slot}`, value: null, grantId: null, expiresAt: retryAt });
      return { allowed: true, retryAt };
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
    }
  }
  return { allowed: false, retryAt };
}

/** True when the window's budget for `key` is used up (without spending anything). */
export async function attemptsExhausted(ctx: ServerContext, key: string, max: number, windowMs: number): Promise<AttemptResult> {
  const window = Math.floor(ctx.options.clock.now() / windowMs);
  const last = await ctx.options.store.artifacts.get(ATTEMPT, `${key}:${window}:${max - 1}`);
  return { allowed: last === undefined, retryAt: (window + 1) * windowMs };
}
