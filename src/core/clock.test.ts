import { describe, expect, it } from 'vitest';
import { sleep, systemClock, type Clock } from './clock.js';

describe('sleep', () => {
  it('waits on a real timer when the clock has no sleep of its own (the system clock)', async () => {
    const started = performance.now();
    await sleep(systemClock, 30);
    // Timers may fire a little early by the monotonic clock's rounding, never much.
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("uses the clock's own sleep when it has one, and waits for it", async () => {
    const waits: number[] = [];
    let ended = false;
    const clock: Clock = {
      now: () => 0,
      sleep: async (ms) => {
        waits.push(ms);
        ended = true;
      },
    };
    await sleep(clock, 4000);
    expect(waits).toEqual([4000]);
    expect(ended).toBe(true);
  });
});
