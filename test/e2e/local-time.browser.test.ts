import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { createTestContext, type TestContext, testActor } from '../helpers/deps.ts';
import { startSite } from '../helpers/site.ts';

describe("the visitor's local time, where JavaScript is on", () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let browser: Browser;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await t?.close();
  });

  it('shows page times in the page zone and adds the visitor zone on hover, under the page CSP', async () => {
    await scheduleMaintenance(
      t.deps,
      {
        title: 'Database upgrade',
        description: 'Upgrading.',
        scheduledFor: '2026-11-22T02:00:00Z',
        scheduledUntil: '2026-11-22T04:00:00Z',
      },
      testActor,
    );
    const context = await browser.newContext({ timezoneId: 'America/New_York', locale: 'en-US' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${site.base}/maintenance`);
    const first = page.locator('time[datetime="2026-11-22T02:00:00.000Z"]').first();
    expect(await first.textContent()).toBe('Sun 22 Nov 2026, 02:00 UTC');
    expect(await first.getAttribute('title')).toMatch(
      /^Your time \(America\/New_York\): Sat, Nov 21, 09:00\sPM EST$/,
    );
    // No CSP refusal: the script is an external file from 'self'.
    expect(errors.filter((e) => /Content Security Policy|Refused/.test(e))).toEqual([]);
    await context.close();
  });
});
