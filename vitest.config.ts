import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    benchmark: {
      include: ['bench/**/*.bench.ts'],
    },
    // Test files run in child processes (the native addon is loaded once per process).
    pool: 'forks',
    testTimeout: 30_000,
  },
});
