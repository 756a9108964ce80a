import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The end-to-end tier: tests that start other programs and talk to them. The built `gatehouse`
 * binary (`gatehouse start`, several instances for scale), the `npm start` demo, Python (Authlib),
 * Chromium, and Node processes that load the built package. They need `npm run build` first.
 * A CLI test that only runs commands other than `start` stays in `integration`: those run in-process
 * through `main(argv, io)` (test/helpers/cli.ts).
 */
const E2E = [
  'test/browser/**/*.test.ts',
  'test/interop/**/*.test.ts',
  'test/scale/**/*.test.ts',
  'test/readme/**/*.test.ts',
  'test/packaging/**/*.test.ts',
  'test/cli/audit-crash.test.ts',
  'test/cli/audit-e2e.test.ts',
  'test/cli/cli.test.ts',
  'test/cli/ecs-logs.test.ts',
  'test/cli/forwarded-headers.test.ts',
  'test/cli/mode.test.ts',
  'test/cli/restart.test.ts',
  'test/cli/start-errors.test.ts',
  'test/cli/tls.test.ts',
  'test/cli/user-access.test.ts',
  'test/cli/users-unlock.test.ts',
  'test/server/mfa/flow/cli-and-openid-client.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Much of the suite waits on child processes, PostgreSQL, Redis and Chromium: two test files at
    // once keep both cores of the CI machine busy (Vitest's default there would be one). The limit
    // is shared by the projects when they run together (`npm test`).
    maxWorkers: 2,
    // A worker runs its test files one after the other in one module graph: src/ and the libraries
    // are loaded once per worker, not once per file (which cost a minute of the suite's CPU). Tests
    // therefore leave nothing behind for the next file: they close what they open, restore what
    // they stub, and never use vi.mock (which would leak into later files); test/setup.ts puts the
    // timers and stubs back after each file, should a test forget.
    isolate: false,
    setupFiles: ['test/setup.ts'],
    unstubEnvs: true,
    unstubGlobals: true,
    projects: [
      {
        extends: true,
        test: {
          // Beside the code: pure functions and small modules, in memory. No PostgreSQL, Redis,
          // sockets or child processes; `npm run test:unit` stays under 30 s.
          name: 'unit',
          include: ['src/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          // The server through its fetch handler (and real HTTP on loopback), the client and the
          // resource guard against it, every store backend, and CLI commands in-process.
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...E2E],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: E2E,
        },
      },
    ],
  },
});
