import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // One throwaway PostgreSQL cluster per run for the Postgres tests (test/setup/postgres.ts).
    globalSetup: ['test/setup/postgres-global.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
