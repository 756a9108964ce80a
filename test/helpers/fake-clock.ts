import type { Clock } from '../../src/core/clock.js';

/** 2025-01-01T00:00:00Z: the default start of a {@link FakeClock}. */
export const T0 = Date.UTC(2025, 0, 1);

/**
 * A clock that only moves when told to, for tests where expiry matters.
 *
 * @example
 * const clock = new FakeClock();
 * clock.advance(60_000); // one minute later
 */
export class FakeClock implements Clock {
  #now: number;

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

  /** Jumps to `ms` since the epoch. */
  set(ms: number): void {
    this.#now = ms;
  }
}
