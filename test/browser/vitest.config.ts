import { defineConfig } from 'vitest/config';

// Browser tests: a real server on a port (PGlite in a temp directory) with the built console,
// driven by Debian's chromium through playwright-core. Files run one after another.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
    teardownTimeout: 30_000,
    // What the page shows after a request: vitest's 1 s default is too short on a busy CI machine.
    expect: { poll: { timeout: 15_000 } },
  },
});
