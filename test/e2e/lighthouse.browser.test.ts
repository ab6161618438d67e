import lighthouse from 'lighthouse';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIncident } from '../helpers/factories.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { seedNinetyDays } from '../helpers/uptime-history.ts';
import { freePort } from '../edge/edge-harness.ts';
import { launchBrowser } from '../helpers/browser.ts';

// The status page with 90-day bars for ten components and an open incident, audited by
// Lighthouse in Debian's chromium: the bars must not cost the page its scores. Performance
// depends on how busy the machine is, so `npm run bench:lighthouse` measures it (against a bare
// server sending the same bytes); the categories here depend only on the page.

describe('the status page under Lighthouse', () => {
  let s: ServerContext;
  let browser: Browser;
  let debugPort: number;

  beforeAll(async () => {
    s = await startTestServer();
    await seedNinetyDays(s);
    await makeIncident(s.deps, { title: 'Checkout is slow', priority: 1 });
    debugPort = await freePort();
    // Lighthouse drives the browser over the DevTools port; playwright-core only launches it.
    browser = await launchBrowser([`--remote-debugging-port=${debugPort}`]);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it('scores at least 0.9 for accessibility, best practices and SEO', async () => {
    const result = await lighthouse(`${s.url}/`, {
      port: debugPort,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['accessibility', 'best-practices', 'seo'],
    });
    const lhr = result!.lhr;
    expect(lhr.runtimeError, lhr.runtimeError?.message).toBeUndefined();
    const scores = Object.fromEntries(
      Object.entries(lhr.categories).map(([id, c]) => [id, c.score]),
    );
    // What failed, by audit, when a category falls short.
    const failing = Object.values(lhr.audits)
      .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode === 'binary')
      .map((a) => a.id);
    for (const id of ['accessibility', 'best-practices', 'seo'])
      expect(scores[id], `${id} (failing audits: ${failing.join(', ')})`).toBeGreaterThanOrEqual(
        0.9,
      );
  }, 120_000);
});
