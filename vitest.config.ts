import { accessSync, constants } from 'node:fs';
import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/helpers/sequencer.ts';

// Every suite's temporary files (its libSQL database above all) on RAM where the machine has a
// writable /dev/shm: each write transaction otherwise waits for the disk's flush (3.3 ms a commit
// on this machine against 0.1 ms there), and the leak test alone commits about 6,000 times. No
// guarantee a test checks depends on the disk: kill -9 and SIGTERM keep what reached the page
// cache, and the full-disk tests mount a tmpfs of their own. Workers and the Herald processes
// the tests start inherit it. An explicit TMPDIR wins.
if (!process.env.TMPDIR) {
  try {
    accessSync('/dev/shm', constants.W_OK);
    process.env.TMPDIR = '/dev/shm';
  } catch {
    // No RAM-backed folder to write to: the system's temporary folder, as before.
  }
}

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
    // browser or a socket. Three keep both cores busy while one of them waits (quiet 2-core
    // machine, 989 tests: 2 workers 275 s, 3 workers 229 s, 4 workers 220 s); no suite shares
    // anything with another, and no test depends on how fast it runs.
    maxWorkers: 3,
    // Each worker runs file after file in one process instead of a fresh process per file: the
    // server code is imported once per worker, not once per file (about a second each, 150 files).
    // Nothing a file leaves behind reaches the next: every file builds its own database, server
    // and clock, closes them in afterAll, and test/helpers/reap-children.ts kills any child
    // process it left. Shared module state is limited to caches of immutable things (the
    // message catalogues, the built site's handler) and counters that only make names unique.
    isolate: false,
    // The slowest files first, also on a fresh clone with no durations of its own yet.
    sequence: { sequencer: LongestFirstSequencer },
    testTimeout: 30_000,
    reporters: [
      'default',
      './test/helpers/summary-reporter.ts',
      './test/helpers/durations-reporter.ts',
    ],
    hookTimeout: 60_000,
  },
});
