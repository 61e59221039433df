import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Database tests share one PostgreSQL database per file through separate schemas; files run in parallel.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
