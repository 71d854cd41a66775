import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Real processes, threads and services: give slow CI machines room, never hide a hang forever.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
