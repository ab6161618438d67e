import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { registerChild } from '../helpers/children.ts';

// Browser test files share their worker's chromium (test/helpers/browser.ts): launched once per
// worker, each file's contexts its own, killed when the worker ends, launched again after a crash.

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The live processes (not zombies) in the process group led by `group`. */
function liveInGroup(group: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, , pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z' && Number(pgid) === group) found.push(Number(name));
    } catch {
      // Ended while the list was read.
    }
  }
  return found;
}

it('two files share one chromium; closing one file’s browser closes its contexts only', async () => {
  const first = await openBrowser();
  const second = await openBrowser();
  expect(await first.pid()).toBe(await second.pid());
  const mine = await first.newContext();
  const theirs = await second.newPage();
  await first.close();
  await expect(mine.newPage()).rejects.toThrow(/closed/);
  await theirs.goto('data:text/html,<title>still here</title>');
  expect(await theirs.title()).toBe('still here');
  expect(liveInGroup(await second.pid())).not.toEqual([]);
  await second.close();
});

it('a chromium killed under a file is launched again at the next page it opens', async () => {
  const browser = await openBrowser();
  const before = await browser.pid();
  const page = await browser.newPage();
  const gone = new Promise((resolve) => page.once('close', resolve));
  process.kill(-before, 'SIGKILL');
  await gone;
  const again = await browser.newPage();
  await again.goto('data:text/html,<title>relaunched</title>');
  expect(await again.title()).toBe('relaunched');
  expect(await browser.pid()).not.toBe(before);
  expect(liveInGroup(before)).toEqual([]);
  await browser.close();
});

it('the chromium a worker’s files shared is gone when the run ends', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-worker-browser-'));
  const file = path.join(dir, 'pids');
  try {
    const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
    const run = registerChild(
      spawn(
        process.execPath,
        [vitest, 'run', '--config', 'test/fixtures/worker-browser/vitest.config.ts'],
        {
          cwd: root,
          env: { ...process.env, HERALD_BROWSER_FILE: file },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    let out = '';
    run.stdout!.on('data', (d) => (out += d));
    run.stderr!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    expect(code, out).toBe(0);
    const pids = readFileSync(file, 'utf8').trim().split('\n').map(Number);
    // One launch for both files: the first file's end (and the reaper after it) left it running.
    expect(pids, out).toHaveLength(2);
    expect(pids[0]).toBe(pids[1]);
    expect(liveInGroup(pids[0]!)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
