import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { followIncidentByEmail } from '../../server/domain/subscribers/follow-incident-by-email.ts';
import { type BrowserSite, startBrowserSite, type TestBrowser } from '../helpers/browser.ts';
import { testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { makeUser } from '../helpers/site.ts';
import { signIn } from './helpers.ts';

/** Where the screenshots go, for a person to look at (SCREENSHOT_DIR keeps them). */
const shots = process.env.SCREENSHOT_DIR ?? path.join(tmpdir(), `herald-layout-${process.pid}`);

describe('the admin incident page for the person under stress', () => {
  let t: TestContext;
  let site: BrowserSite['site'];
  let w: BrowserSite;
  let browser: TestBrowser;
  let incidentId = '';
  beforeAll(async () => {
    w = await startBrowserSite();
    ({ t, site, browser } = w);
    const pm = await makeUser(t, 'admin', 'pm-with-a-long-address@example.com');
    const web = await makeComponent(t.deps, { name: 'Website' });
    const api = await makeComponent(t.deps, { name: 'Public API' });
    const inc = await makeIncident(t.deps, {
      title: 'Checkout fails for card payments',
      priority: 0,
      body: 'Card payments fail at checkout. We are investigating.',
      // The longest cell on the dashboard: an owner's address.
      ownerId: pm.id,
      components: [
        { componentId: web.id, status: 'major_outage' },
        { componentId: api.id, status: 'partial_outage' },
      ],
    });
    incidentId = inc.incident.id;
    // The widest table on the page: its followers (address, state, since, a button).
    for (const email of ['a-follower-with-a-rather-long-address@customer.example.org', 'b@x.org'])
      await followIncidentByEmail(t.deps, { incidentId, email });
    for (let n = 1; n <= 4; n++) {
      t.clock.advance(10 * 60_000);
      await postIncidentUpdate(
        t.deps,
        { incidentId, body: `Update ${n}: the payment provider is looking into it.` },
        testActor,
      );
    }
  });
  afterAll(() => w?.close());

  async function topOf(page: Page, selector: string) {
    const box = await page.locator(selector).first().boundingBox();
    expect(box, selector).not.toBeNull();
    return box!.y;
  }

  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    it(`at ${width} px the status, the promise and the update form are on the first screen, with no sideways scroll`, async () => {
      const page = await signIn(
        browser,
        site.base,
        'pm-with-a-long-address@example.com',
        width,
        height,
      );
      await page.goto(`${site.base}/admin/incidents/${incidentId}`);
      await page.screenshot({ path: path.join(shots, `incident-${width}.png`), fullPage: true });
      await page.screenshot({ path: path.join(shots, `incident-${width}-fold.png`) });
      expect(await topOf(page, '.incident-status')).toBeLessThan(height);
      expect(await topOf(page, '.overdue, .due-soon, .next-update')).toBeLessThan(height);
      expect(await topOf(page, '#h-update')).toBeLessThan(height);
      expect(await topOf(page, '#f-body')).toBeLessThan(height);
      // The timeline comes before the record, which is folded.
      expect(await topOf(page, '#h-timeline')).toBeLessThan(await topOf(page, '.record-details'));
      expect(await page.locator('#h-followers').count()).toBe(1);
      expect(await page.locator('.record-details').getAttribute('open')).toBeNull();
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(scroll).toBeLessThanOrEqual(width);

      await page.goto(`${site.base}/admin`);
      await page.screenshot({ path: path.join(shots, `dashboard-${width}.png`), fullPage: true });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        width,
      );
      // "Next update" is visible inside the screen, not cut off at its right edge: the column
      // head on a wide screen, each card's label on a phone.
      const next = page
        .locator('.admin-table th:visible, .admin-table .cell-label:visible', {
          hasText: 'Next update',
        })
        .first();
      const box = await next.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x + box!.width).toBeLessThanOrEqual(width);
      // The table itself does not scroll sideways inside its box.
      const inner = await page
        .locator('.admin-table')
        .first()
        .evaluate((el) => [el.scrollWidth, el.parentElement!.clientWidth]);
      expect(inner[0]).toBeLessThanOrEqual(inner[1]!);
      // No word in the table is broken across lines: each word (between spaces and hyphens)
      // lays out on one line box.
      const broken = await page
        .locator('.admin-table')
        .first()
        .evaluate((table) => {
          const out: string[] = [];
          const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const text = n.textContent ?? '';
            const re = /[^\s-]+/g;
            for (let m = re.exec(text); m; m = re.exec(text)) {
              const r = document.createRange();
              r.setStart(n, m.index);
              r.setEnd(n, m.index + m[0].length);
              const tops = new Set([...r.getClientRects()].map((b) => Math.round(b.top)));
              if (tops.size > 1) out.push(m[0]);
            }
          }
          return out;
        });
      expect(broken).toEqual([]);
      if (width === 390) {
        // The admin menu is one line, not seven.
        const nav = await page.locator('.admin-header nav').boundingBox();
        expect(nav!.height).toBeLessThan(60);
      }
      await page.context().close();
    });
  }
});
