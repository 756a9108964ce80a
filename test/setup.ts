/**
 * Runs in every test file (vitest.config.ts `setupFiles`). Test files share their worker's module
 * graph (`isolate: false`), so what one file changes globally must not reach the next: after each
 * file, the real timers and Date come back, and spies are restored.
 */
import { afterAll, vi } from 'vitest';

afterAll(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});
