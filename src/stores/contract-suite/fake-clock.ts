import type { Clock } from '../../core/clock.js';

/** 2025-01-01T00:00:00Z: where the suite's clock starts. */
export const T0 = Date.UTC(2025, 0, 1);

/** A clock that only moves when the suite moves it, so expiry is tested without waiting. */
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
