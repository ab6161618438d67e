import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core';
import { freePort } from '../edge/edge-harness.ts';
import { childProcesses, registerProcessGroup } from './children.ts';
import { createTestContext } from './deps.ts';
import type { ServerContext } from './server.ts';
import { startSite } from './site.ts';
import { type SmtpSink, startSmtpSink } from './smtp.ts';

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts chromium and returns it with the process group playwright made it lead. */
async function startChromium(extraArgs: string[], handleSignals: boolean) {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const before = childProcesses();
  const browser = await chromium.launch({
    executablePath,
    args: [...extraArgs, ...FLAGS],
    handleSIGINT: handleSignals,
    handleSIGTERM: handleSignals,
    handleSIGHUP: handleSignals,
  });
  // Playwright keeps the process it spawned to itself: it is the new child that leads a
  // process group of its own (Debian's /usr/bin/chromium is a script that execs the browser).
  const groups = [...childProcesses()]
    .filter(([pid, { group }]) => !before.has(pid) && group === pid)
    .map(([pid]) => pid);
  return { browser, groups };
}

/**
 * Debian's chromium, driven by playwright-core; never a downloaded browser. Playwright gives
 * each launch a fresh temporary profile; the flags keep chromium off the (closed) network.
 * Chromium is registered to be killed with its process group if the file ends with it open.
 * A test file wants `openBrowser()` instead (one chromium per worker); this is for a browser
 * that must be the file's own (a bench, the reaper's own test).
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const { browser, groups } = await startChromium(extraArgs, true);
  for (const pid of groups) registerProcessGroup(pid);
  return browser;
}

interface WorkerChromium {
  browser: Browser;
  pid: number;
  /** The DevTools port, for Lighthouse (which drives the browser itself). */
  debugPort: number;
}
let shared: Promise<WorkerChromium> | null = null;

/**
 * The chromium of this worker process. Test files run one after another in a worker (vitest's
 * `isolate: false`), so one launch serves them all instead of one per file. It is launched at
 * the first call, killed with its process group when the worker exits, and launched again at
 * the next call after it crashed or was killed.
 */
async function workerChromium(): Promise<WorkerChromium> {
  const current = await shared?.catch(() => null);
  if (current?.browser.isConnected()) return current;
  shared = (async () => {
    const debugPort = await freePort();
    // Playwright's own signal handlers would keep a stopping worker alive while it closes the
    // browser; the registration below kills the group at once instead.
    const { browser, groups } = await startChromium(
      [`--remote-debugging-port=${debugPort}`],
      false,
    );
    const forget = groups.map((pid) => registerProcessGroup(pid, 'worker'));
    browser.once('disconnected', () => {
      for (const f of forget) f();
    });
    return { browser, pid: groups[0] ?? 0, debugPort };
  })();
  return shared;
}

/**
 * A test file's browser: the worker's chromium, with every context the file opens through it
 * closed by `close()` (chromium itself stays for the next file). Each context is a fresh
 * profile (cookies, storage, cache), so files and tests stay apart as with a browser each.
 */
export interface TestBrowser {
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a context of its own; closing the page closes the context. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** The DevTools port of the worker's chromium, for Lighthouse. */
  debugPort(): Promise<number>;
  /** The pid of the worker's chromium (it leads its process group). */
  pid(): Promise<number>;
  /** Closes every context opened through this handle. */
  close(): Promise<void>;
}

export async function openBrowser(): Promise<TestBrowser> {
  const contexts = new Set<BrowserContext>();
  await workerChromium();
  const newContext = async (options?: BrowserContextOptions) => {
    let { browser } = await workerChromium();
    let context: BrowserContext;
    try {
      context = await browser.newContext(options);
    } catch (e) {
      // Chromium died since the last call (it crashed, or was killed): launch another.
      if (browser.isConnected()) throw e;
      ({ browser } = await workerChromium());
      context = await browser.newContext(options);
    }
    contexts.add(context);
    context.once('close', () => contexts.delete(context));
    return context;
  };
  return {
    newContext,
    async newPage(options) {
      const context = await newContext(options);
      const page = await context.newPage();
      page.once('close', () => void context.close().catch(() => {}));
      return page;
    },
    debugPort: async () => (await workerChromium()).debugPort,
    pid: async () => (await workerChromium()).pid,
    async close() {
      await Promise.all([...contexts].map((c) => c.close().catch(() => {})));
    },
  };
}

/**
 * What a browser test starts with: a fresh database, the full site (API and built pages) on
 * a loopback port and the worker's chromium (`startBrowserSite`), and with `mail: true` an SMTP
 * sink the site sends to. PUBLIC_URL is the loopback origin over plain http unless `env` says
 * otherwise, so the session cookie is not Secure-only and links in mail open in the test's
 * browser. `close()` closes the file's browser contexts, the site, the database and the sink.
 */
export interface BrowserSite {
  /** The database, clock and deps; `t.url` is the site's address. */
  t: ServerContext;
  site: { base: string };
  browser: TestBrowser;
  close(): Promise<void>;
}
export interface MailBrowserSite extends BrowserSite {
  smtp: SmtpSink;
}

export async function startBrowserSite(opts: {
  mail: true;
  env?: Record<string, string>;
}): Promise<MailBrowserSite>;
export async function startBrowserSite(opts?: {
  mail?: false;
  env?: Record<string, string>;
}): Promise<BrowserSite>;
export async function startBrowserSite(
  opts: { mail?: boolean; env?: Record<string, string> } = {},
): Promise<BrowserSite | MailBrowserSite> {
  const smtp = opts.mail ? await startSmtpSink() : undefined;
  const context = await createTestContext({
    env: {
      PUBLIC_URL: 'http://127.0.0.1',
      ...(smtp ? { SMTP_URL: smtp.url } : {}),
      ...opts.env,
    },
  });
  const site = await startSite(context);
  const browser = await openBrowser();
  const close = async () => {
    await browser.close();
    await site.close();
    await context.close();
    await smtp?.close();
  };
  const t: ServerContext = { ...context, url: site.base, close };
  return { t, site: { base: site.base }, browser, close, ...(smtp ? { smtp } : {}) };
}
