import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { heraldChild, heraldNode, registerChild } from '../helpers/children.ts';

const startScript = fileURLToPath(new URL('../helpers/start-process.ts', import.meta.url));

/**
 * A process that starts Herald once per pair of database and barrier in `rounds`, in order, each
 * start held at its barrier (test/helpers/start-process.ts). `said(line)` resolves once it has
 * printed `line`, and rejects if it exits first.
 */
function startBehindBarriers(rounds: { db: string; barrier: string }[]) {
  const child = spawn(
    heraldNode,
    heraldChild(startScript, ...rounds.flatMap((r) => [r.db, r.barrier])),
    { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  registerChild(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const waiters: { line: string; resolve: () => void }[] = [];
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const w of [...waiters])
      if (stdout.split('\n').includes(w.line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  });
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    said: (line: string) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.split('\n').includes(line)) return resolve();
        waiters.push({ line, resolve });
        void done.then((code) =>
          reject(new Error(`exited ${code} before saying "${line}": ${stderr}`)),
        );
      }),
    done,
  };
}

describe('several processes starting together on a new database file', { timeout: 240_000 }, () => {
  it('all come up, 10 rounds of 2 or 3 processes behind a barrier', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-race-'));
    try {
      const rounds = Array.from({ length: 10 }, (_, round) => ({
        db: `file:${path.join(dir, `race-${round}.db`)}`,
        barrier: path.join(dir, `go-${round}`),
        n: 2 + (round % 2),
      }));
      // Three processes, each loading Herald once: two start in every round, the third in
      // every other one. Each start is a new database file that none of them has opened.
      const procs = [0, 1, 2].map((p) => {
        const mine = rounds.filter((r) => r.n > p);
        return { mine, proc: startBehindBarriers(mine) };
      });
      const failures: string[] = [];
      for (const [round, r] of rounds.entries()) {
        const runs = procs
          .filter(({ mine }) => mine.includes(r))
          .map(({ mine, proc }) => ({ proc, step: mine.indexOf(r) + 1 }));
        try {
          // Every process says it is loaded and waiting at the barrier before any opens the file.
          await Promise.all(runs.map(({ proc, step }) => proc.said(`waiting ${step}`)));
          writeFileSync(r.barrier, '');
          await Promise.all(runs.map(({ proc, step }) => proc.said(`up ${step}`)));
        } catch (e) {
          failures.push(`round ${round}: ${(e as Error).message}`);
          break;
        }
      }
      expect(failures).toEqual([]);
      expect(await Promise.all(procs.map(({ proc }) => proc.done))).toEqual([0, 0, 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
