import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests that start servers and child processes share two cores; keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
  },
});
