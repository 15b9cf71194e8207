import { defineConfig } from 'vitest/config';

/** Tests that start real processes (the CLI, `ktrdr serve`, `ktrdr host`, a browser): the slow tier, left out of `test:unit`. */
const PROCESS_TESTS = [
  'test/e2e/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/api/hosts.test.ts',
  'test/execution/remote-host-executor.test.ts',
  'test/execution/queue-executor.test.ts',
  'test/host/host-cli.test.ts',
  'test/web/**/*.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores in CI: end-to-end tests start real processes, so keep parallelism modest.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: PROCESS_TESTS } },
      { extends: true, test: { name: 'e2e', include: PROCESS_TESTS } },
    ],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // A floor, not a target: code run only in worker threads or child processes (training hosts, queue hosts, the
      // wasm workers) is not counted, so these sit a little under what the suite measures and catch a change that
      // drops whole areas out of the tests.
      thresholds: { lines: 83, functions: 82, branches: 73, statements: 82 },
    },
  },
});
