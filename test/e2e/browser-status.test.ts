import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSite, startBrowserSite } from '../helpers/browser.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

describe('the status page in a real browser (Debian chromium)', () => {
  let w: BrowserSite;
  let s: BrowserSite['t'];
  let browser: BrowserSite['browser'];

  beforeAll(async () => {
    w = await startBrowserSite();
    ({ t: s, browser } = w);
    s.clock.set('2026-11-21T14:00:00.000Z');
    const api = await makeComponent(s.deps, { name: 'Public API' });
    await makeComponent(s.deps, { name: 'Dashboard' });
    await makeIncident(s.deps, {
      title: 'API errors in EU',
      priority: 0,
      body: 'Requests fail with 502.',
      components: [{ componentId: api.id, status: 'major_outage' }],
      nextUpdateInMinutes: 30,
    });
  });
  afterAll(() => w?.close());

  it('shows a visitor with JavaScript off what is broken and when the next update comes', async () => {
    const ctx = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 1024, height: 800 },
    });
    const p = await ctx.newPage();
    const res = await p.goto(s.url + '/');
    expect(res?.status()).toBe(200);
    await expect(p.title()).resolves.toBe('Acme Status');
    expect(await p.locator('h1').first().innerText()).toBe('Major System Outage');
    const incident = p.locator('article.incident');
    expect(await incident.locator('h3').innerText()).toBe('API errors in EU');
    expect(await incident.innerText()).toContain('Requests fail with 502.');
    expect(await incident.locator('.next-update').innerText()).toBe('Next update by 14:30 UTC');
    const rows = await p.locator('ul.components > li').allInnerTexts();
    // Each row: name and status, then its uptime bars ("90 days ago … uptime … Today").
    expect(
      rows.map((r) =>
        r
          .replace(/\s+/g, ' ')
          .trim()
          .replace(/ 90 days ago .*$/, ''),
      ),
    ).toEqual(['Public API ✕ Major outage', 'Dashboard ✓ Operational']);
    // The stylesheet loaded (CSP allows it): the banner has its border.
    const border = await p
      .locator('.banner')
      .first()
      .evaluate((el) => getComputedStyle(el).borderLeftWidth);
    expect(border).toBe('8px');
    await p.getByRole('link', { name: 'API errors in EU' }).click();
    await p.waitForURL(/\/incidents\/[0-9a-z]{12}$/);
    expect(await p.locator('h1').innerText()).toBe('API errors in EU');
    await ctx.close();
  });

  it('fits a 360 px wide phone screen without sideways scrolling', async () => {
    const ctx = await browser.newContext({
      javaScriptEnabled: true,
      viewport: { width: 360, height: 740 },
    });
    const p = await ctx.newPage();
    await p.goto(s.url + '/');
    const overflow = await p.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await ctx.close();
  });
});
