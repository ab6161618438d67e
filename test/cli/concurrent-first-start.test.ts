import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { heraldChild, heraldNode, registerChild } from '../helpers/children.ts';

const startScript = fileURLToPath(new URL('../helpers/start-process.ts', import.meta.url));

/** A Herald start-up in its own process, loaded and waiting at `barrier` once `waiting` resolves. */
function startBehindBarrier(db: string, barrier: string) {
  const child = spawn(heraldNode, heraldChild(startScript, db, barrier), {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  registerChild(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const waiting = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('waiting')) resolve();
    });
    child.on('exit', (code) =>
      reject(new Error(`exited ${code} before reaching the barrier: ${stderr}`)),
    );
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { waiting, done };
}

describe('several processes starting together on a new database file', { timeout: 240_000 }, () => {
  it('all come up, 10 rounds of 2 or 3 processes behind a barrier', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-race-'));
    try {
      const failures: string[] = [];
      for (let round = 0; round < 10; round++) {
        const db = `file:${path.join(dir, `race-${round}.db`)}`;
        const barrier = path.join(dir, `go-${round}`);
        const n = 2 + (round % 2);
        const runs = Array.from({ length: n }, () => startBehindBarrier(db, barrier));
        // Every process says it is loaded and waiting at the barrier before any opens the file.
        await Promise.all(runs.map((r) => r.waiting));
        writeFileSync(barrier, '');
        for (const r of await Promise.all(runs.map((r) => r.done)))
          if (r.code !== 0 || !r.stdout.includes('up'))
            failures.push(`round ${round}: ${r.stderr}`);
      }
      expect(failures).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
