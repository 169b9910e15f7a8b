import { defineConfig } from 'vitest/config';

// Browser tests: one platform (PGlite in a temp directory) with the built console, driven by
// Debian's chromium through playwright-core. Files run one after another.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
    teardownTimeout: 30_000,
  },
});
