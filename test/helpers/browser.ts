import { type Browser, chromium } from 'playwright-core';
import { childProcesses, registerProcessGroup } from './children.ts';

/**
 * Debian's chromium, driven by playwright-core; never a downloaded browser. Playwright gives
 * each launch a fresh temporary profile; the flags keep chromium off the (closed) network.
 * Chromium is registered to be killed with its process group if the file ends with it open.
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const before = childProcesses();
  const browser = await chromium.launch({
    executablePath,
    args: [
      ...extraArgs,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // Playwright keeps the process it spawned to itself: it is the new child that leads a
  // process group of its own (Debian's /usr/bin/chromium is a script that execs the browser).
  for (const [pid, { group }] of childProcesses())
    if (!before.has(pid) && group === pid) registerProcessGroup(pid);
  return browser;
}
