import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Where each file's time goes, from vitest's own per-file figures: starting its worker's
 * environment, the set-up files, importing the file (everything it imports and its describe
 * callbacks) and its tests with their hooks. Writes them as JSON to the file named by
 * HERALD_TEST_DURATIONS and prints the sums, so two runs of the same hour can be compared by
 * what the files cost rather than by wall time alone (which other load on the machine moves).
 *
 *   HERALD_TEST_DURATIONS=/tmp/durations.json npx vitest run \
 *     --reporter=default --reporter=./test/helpers/durations-reporter.ts
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
    console.log(
      `\ndurations (s, summed over ${totals.files} files): environment ${totals.environment}, ` +
        `prepare ${totals.prepare}, set-up files ${totals.setup}, import ${totals.import}, ` +
        `tests ${totals.tests}; wall ${totals.wall}`,
    );
  }
}
