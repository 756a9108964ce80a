import type { Clock } from '../../src/core/clock.js';

/** The fake clock of the store contract suite (it ships with the package): one clock for every test. */
export { FakeClock, T0 } from '../../src/stores/contract-suite/fake-clock.js';

/**
 * The system's time, with waits that end at once (recorded in {@link RealTimeClock.sleeps}): for a
 * server on real time, over real HTTP, whose test does not test the wait itself.
 */
export class RealTimeClock implements Clock {
  /** Every wait asked of this clock, in milliseconds, in order. */
  readonly sleeps: number[] = [];

  now(): number {
    return Date.now();
  }

  /** Records the wait and ends it on the next turn of the event loop. */
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => setImmediate(resolve));
  }
}
