import { readFileSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Longest files first, so that no slow file starts last and runs alone at the end while the
 * other workers idle. Vitest's own order uses the durations of the last run on this machine
 * (node_modules/.vite), which a fresh clone does not have: it then falls back to file size, and
 * the slowest files of all (the randomized leak test's parts, three lines each over a shared
 * harness) would start last. test/durations.json keeps each file's seconds from a whole run
 * (written by test/helpers/durations-reporter.ts with HERALD_UPDATE_DURATIONS=1) for that case;
 * a file in neither counts as quick. Failed files still run first, as in vitest's order.
 */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const known = committedDurations();
    const cost = (spec: TestSpecification) => {
      const last = this.ctx.cache.getTestSpecificationResult(spec);
      if (last) return { failed: last.failed, ms: last.duration ?? 0 };
      const seconds = known.get(relativeFile(spec)) ?? 0;
      return { failed: false, ms: seconds * 1000 };
    };
    const costs = new Map(files.map((f) => [f, cost(f)]));
    return [...files].sort((a, b) => {
      const ca = costs.get(a)!;
      const cb = costs.get(b)!;
      if (ca.failed !== cb.failed) return ca.failed ? -1 : 1;
      return cb.ms - ca.ms;
    });
  }
}

function relativeFile(spec: TestSpecification): string {
  const root = spec.project.config.root.replace(/\/$/, '');
  return spec.moduleId.startsWith(root + '/')
    ? spec.moduleId.slice(root.length + 1)
    : spec.moduleId;
}

export const DURATIONS_FILE = new URL('../durations.json', import.meta.url);

export function committedDurations(): Map<string, number> {
  let text: string;
  try {
    text = readFileSync(DURATIONS_FILE, 'utf8');
  } catch {
    return new Map();
  }
  const parsed: unknown = JSON.parse(text);
  const out = new Map<string, number>();
  if (parsed && typeof parsed === 'object')
    for (const [file, seconds] of Object.entries(parsed))
      if (typeof seconds === 'number') out.set(file, seconds);
  return out;
}
