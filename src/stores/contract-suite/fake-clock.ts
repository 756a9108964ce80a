import type { Clock } from '../../core/clock.js';

/** 2025-01-01T00:00:00Z: the default start of a {@link FakeClock}. */
export const T0 = Date.UTC(2025, 0, 1);

/**
 * A clock that only moves when told to, for tests where expiry matters. Its waits (the delay after
 * a failed sign-in) end at once, without moving time, and are kept in {@link FakeClock.sleeps}: a
 * test of the delay itself asserts those, the others do not pay for it.
 *
 * @example
 * const clock = new FakeClock();
 * clock.advance(60_000); // one minute later
 */
export class FakeClock implements Clock {
  #now: number;
  /** Every wait asked of this clock, in milliseconds, in order. */
  readonly sleeps: number[] = [];

  constructor(start: number = T0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.#now += ms;
  }

  /** Records the wait and ends it on the next turn of the event loop, as a timer would, but at once. */
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** Jumps to `ms` since the epoch. */
  set(ms: number): void {
    this.#now = ms;
  }
}
