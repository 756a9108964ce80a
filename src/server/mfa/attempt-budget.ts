import { StoreConflictError } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';

const ATTEMPT = 'attempt_slot';

/** An attempt spent from a budget, before the answer is checked. */
export interface SpentAttempt {
  /** False: the budget of this window is used up, and the answer must not be checked. */
  allowed: boolean;
  /** When the budget refills (milliseconds since the epoch). */
  retryAt: number;
  /** This attempt took the last one of the window. */
  last: boolean;
  /** The answer was right: the attempt goes back to the budget. */
  refund(): Promise<void>;
}

/**
 * Spends one attempt of `max` in the current window for `key`, before the answer is checked. Each
 * attempt claims a numbered single-use slot in the store (an atomic insert), so the count holds
 * under concurrency and across instances, on every store: of N concurrent attempts at most `max`
 * are allowed.
 */
export async function spendAttempt(ctx: Pick<ServerContext, 'clock' | 'store'>, key: string, max: number, windowMs: number): Promise<SpentAttempt> {
  const window = Math.floor(ctx.clock.now() / windowMs);
  return claimSlot(ctx, `${key}:${window}`, max, (window + 1) * windowMs);
}

/**
 * {@link spendAttempt} with one budget for a thing's whole life instead of a window: `max` attempts
 * for `key` until `expiresAt` (an emailed link's end), never refilled. A window would give a
 * long-lived link a fresh budget at each of its boundaries.
 */
export function spendAttemptUntil(ctx: Pick<ServerContext, 'store'>, key: string, max: number, expiresAt: number): Promise<SpentAttempt> {
  return claimSlot(ctx, key, max, expiresAt);
}

/** Claims the first free of the slots `prefix:0` … `prefix:max-1`, each living until `retryAt`. */
async function claimSlot(ctx: Pick<ServerContext, 'store'>, prefix: string, max: number, retryAt: number): Promise<SpentAttempt> {
  const { artifacts } = ctx.store;
  for (let slot = 0; slot < max; slot += 1) {
    const id = `${prefix}:${slot}`;
    try {
      await artifacts.put({ kind: ATTEMPT, id, value: null, ownerId: null, expiresAt: retryAt });
      const refund = async (): Promise<void> => {
        await artifacts.delete(ATTEMPT, id);
      };
      return { allowed: true, retryAt, last: slot === max - 1, refund };
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
    }
  }
  return { allowed: false, retryAt, last: true, refund: async () => undefined };
}
