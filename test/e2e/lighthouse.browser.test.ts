import lighthouse from 'lighthouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIncident } from '../helpers/factories.ts';
import { seedNinetyDays } from '../helpers/uptime-history.ts';
import { type BrowserSite, startBrowserSite } from '../helpers/browser.ts';

// The status page with 90-day bars for ten components and an open incident, audited by
// Lighthouse in Debian's chromium: the bars must not cost the page its scores. Performance
// depends on how busy the machine is, so `npm run bench:lighthouse` measures it (against a bare
// server sending the same bytes); the categories here depend only on the page.

describe('the status page under Lighthouse', () => {
  let w: BrowserSite;
  let s: BrowserSite['t'];
  let debugPort: number;

  beforeAll(async () => {
    // The public address of a deployed page, as the SEO audit reads it in the canonical link.
    w = await startBrowserSite({ env: { PUBLIC_URL: 'https://status.example.com' } });
    s = w.t;
    await seedNinetyDays(s);
    await makeIncident(s.deps, { title: 'Checkout is slow', priority: 1 });
    // Lighthouse drives the worker's chromium over its DevTools port.
    debugPort = await w.browser.debugPort();
  });
  afterAll(() => w?.close());

  it('scores at least 0.9 for accessibility, best practices and SEO', async () => {
    const result = await lighthouse(`${s.url}/`, {
      port: debugPort,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['accessibility', 'best-practices', 'seo'],
      // The element screenshots are for an HTML report; none is written here.
      disableFullPageScreenshot: true,
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
