import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/module-hooks-setup.ts', 'test/helpers/reap-children.ts'],
    // One migrated template database per run; each suite's database starts as a copy of it.
    globalSetup: ['test/helpers/template-db.ts'],
    // Each suite opens its own temporary libSQL file; files run in parallel across workers.
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one file at a time on a 2-core
    // machine, though most suites spend much of their time waiting on a child process, a
    // browser or a socket. Two keep both cores busy; no suite shares anything with another.
    maxWorkers: 2,
    testTimeout: 30_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    hookTimeout: 60_000,
  },
});
