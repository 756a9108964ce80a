/**
 * The source of "now", and of waiting. Injected so tests can fix or advance time, and skip waits
 * (the failed sign-in delay) that are not what they test.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits `ms` milliseconds; without it, a real timer waits. */
  sleep?(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Waits `ms` on the clock's terms: a real timer unless the clock provides its own `sleep`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  if (clock.sleep) return clock.sleep(ms);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
