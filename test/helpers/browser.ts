import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's chromium, driven by playwright-core; never a downloaded browser. Playwright gives
 * each launch a fresh temporary profile; the flags keep chromium off the (closed) network.
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
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
}
