import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openBrowser } from '../helpers/browser.ts';
import { liveProcesses, runFixtureSuite } from '../helpers/fixture-suite.ts';

// Browser test files share their worker's chromium (test/helpers/browser.ts): launched once per
// worker, each file's contexts its own, killed when the worker ends, launched again after a crash.

/** The live processes (not zombies) in the process group led by `group`. */
const liveInGroup = (group: number) => liveProcesses([], [group]);

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
  await expect.poll(() => liveInGroup(before), { timeout: 10_000, interval: 20 }).toEqual([]);
  await browser.close();
});

it('the chromium a worker’s files shared is gone when the run ends', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-worker-browser-'));
  const file = path.join(dir, 'pids');
  try {
    const { code, out } = await runFixtureSuite('test/fixtures/worker-browser/vitest.config.ts', {
      HERALD_BROWSER_FILE: file,
    });
    expect(code, out).toBe(0);
    const pids = readFileSync(file, 'utf8').trim().split('\n').map(Number);
    // One launch for both files: the first file's end (and the reaper after it) left it running.
    expect(pids, out).toHaveLength(2);
    expect(pids[0]).toBe(pids[1]);
    // The worker's end sends SIGKILL to the group; the kernel ends its processes a moment later.
    await expect.poll(() => liveInGroup(pids[0]!), { timeout: 10_000, interval: 20 }).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
