import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Timing-sensitive tests (event-loop delay) must not share the 2 cores with other test files.
    fileParallelism: false,
  },
});
