import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/module-hooks-setup.ts'],
    // Each suite opens its own temporary libSQL file; files run in parallel across workers.
    pool: 'forks',
    testTimeout: 30_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    hookTimeout: 60_000,
  },
});
