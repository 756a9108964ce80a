import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run chaos` (after a build): the fault matrix, chaos/*.chaos.ts, one file, one phase after
 * the other. Not part of `npm test`: the main config only picks up `*.test.ts`.
 */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['chaos/**/*.chaos.ts'],
    pool: 'forks',
    maxWorkers: 1,
    // A full run's longest phase (the soak) takes 2 minutes; set-up starts PostgreSQL schemas,
    // Redis servers and instances.
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
