import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { committedDurations } from '../helpers/sequencer.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the committed test durations the sequencer starts a fresh clone with', () => {
  it('name only test files that exist, each with a non-negative number of seconds', () => {
    const table = committedDurations();
    expect(table.size).toBeGreaterThan(100);
    const missing = [...table.keys()].filter(
      (f) => !f.startsWith('test/') || !f.endsWith('.test.ts') || !existsSync(root + f),
    );
    expect(
      missing,
      'refresh test/durations.json: HERALD_UPDATE_DURATIONS=1 npx vitest run',
    ).toEqual([]);
    expect([...table.values()].every((s) => Number.isFinite(s) && s >= 0)).toBe(true);
  });
});
