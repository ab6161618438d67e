import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';
import { DURATIONS_FILE } from './sequencer.ts';

/**
 * Where each file's time goes, from vitest's own per-file figures: starting its worker's
 * environment, the set-up files, importing the file (everything it imports and its describe
 * callbacks) and its tests with their hooks. Writes them as JSON to the file named by
 * HERALD_TEST_DURATIONS and prints the sums, so two runs of the same hour can be compared by
 * what the files cost rather than by wall time alone (which other load on the machine moves).
 *
 *   HERALD_TEST_DURATIONS=/tmp/durations.json npx vitest run
 *
 * With HERALD_UPDATE_DURATIONS=1 after a whole run without failures it also rewrites
 * test/durations.json, each file's seconds, which the sequencer (test/helpers/sequencer.ts) uses
 * to start the slowest files first on a machine that has no durations of its own yet.
 */
export default class DurationsReporter implements Reporter {
  private started = 0;

  onTestRunStart() {
    this.started = performance.now();
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    const files = testModules.map((m) => {
      const d = m.diagnostic();
      const tests = [...m.children.allTests()];
      return {
        file: m.relativeModuleId,
        worker: d.concurrencyId,
        environment: Math.round(d.environmentSetupDuration),
        prepare: Math.round(d.prepareDuration),
        setup: Math.round(d.setupDuration),
        import: Math.round(d.collectDuration),
        tests: Math.round(d.duration),
        count: tests.length,
        failed: tests.filter((t) => t.result().state === 'failed').length,
      };
    });
    const sum = (k: 'environment' | 'prepare' | 'setup' | 'import' | 'tests') =>
      Math.round(files.reduce((a, f) => a + f[k], 0) / 1000);
    const totals = {
      wall: Math.round((performance.now() - this.started) / 1000),
      files: files.length,
      environment: sum('environment'),
      prepare: sum('prepare'),
      setup: sum('setup'),
      import: sum('import'),
      tests: sum('tests'),
    };
    const out = process.env.HERALD_TEST_DURATIONS;
    if (out) writeFileSync(out, JSON.stringify({ totals, files }, null, 1));
    if (process.env.HERALD_UPDATE_DURATIONS === '1' && files.every((f) => f.failed === 0)) {
      const seconds = Object.fromEntries(
        files
          .map((f) => [f.file, Math.round(f.tests / 100) / 10] as const)
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
      );
      writeFileSync(DURATIONS_FILE, JSON.stringify(seconds, null, 2) + '\n');
    }
    console.log(
      `\ndurations (s, summed over ${totals.files} files): environment ${totals.environment}, ` +
        `prepare ${totals.prepare}, set-up files ${totals.setup}, import ${totals.import}, ` +
        `tests ${totals.tests}; wall ${totals.wall}`,
    );
  }
}
