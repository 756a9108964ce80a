import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Much of the suite waits on child processes, PostgreSQL, Redis and Chromium: two test files at
    // once keep both cores of the CI machine busy (Vitest's default there would be one).
    maxWorkers: 2,
  },
});
