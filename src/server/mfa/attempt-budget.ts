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
  const { artifacts } = ctx.store;
  const window = Math.floor(ctx.clock.now() / windowMs);
  const retryAt = (window + 1) * windowMs;
  for (let slot = 0; slot < max; slot += 1) {
    const id = `${key}:${window}:${slot}`;
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
