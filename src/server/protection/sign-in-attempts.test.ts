import { describe, expect, it } from 'vitest';
import type { LimiterName, Reservation } from './rate-limits.js';
import { failureDelayMs } from './sign-in-attempts.js';

/** A reservation that counted `perAccountIp` and `perAccount` failures so far, this one included. */
function reservation(perAccountIp: number, perAccount: number): Reservation {
  const counts: Partial<Record<LimiterName, number>> = { signInPerAccountIp: perAccountIp, signInPerAccount: perAccount };
  return { limited: undefined, count: (limiter) => counts[limiter] ?? 0, refund: async () => undefined };
}

describe('failureDelayMs: the wait before answering a failed sign-in', () => {
  it.each([
    // [failures from this address, failures on the account from anywhere, wait]
    [1, 1, 250],
    [2, 2, 500],
    [3, 3, 1000],
    [4, 4, 2000],
    [5, 5, 4000],
    [6, 6, 4000],
    [100, 100, 4000],
    // The larger count decides: many addresses against one account, or one address whose account counter is exempt.
    [1, 3, 1000],
    [3, 0, 1000],
    // Nothing counted (both budgets exempt or unspent): still the first delay.
    [0, 0, 250],
  ])('%i failures from the address, %i on the account: %i ms', (perAccountIp, perAccount, expected) => {
    expect(failureDelayMs(reservation(perAccountIp, perAccount))).toBe(expected);
  });
});
