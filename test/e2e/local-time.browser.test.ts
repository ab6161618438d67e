import type { BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { type BrowserSite, startBrowserSite } from '../helpers/browser.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

describe("times in the visitor's own zone, where JavaScript is on", () => {
  let w: BrowserSite;
  let s: BrowserSite['t'];
  let browser: BrowserSite['browser'];
  let incidentId = '';

  beforeAll(async () => {
    w = await startBrowserSite();
    ({ t: s, browser } = w);
    // The page's zone is Berlin; the visitors below are in New York and Tokyo.
    await updateSettings(s.deps, { timeZone: 'Europe/Berlin' }, testActor);
    const api = await makeComponent(s.deps, { name: 'API' });
    await scheduleMaintenance(
      s.deps,
      {
        title: 'Database upgrade',
        description: 'Upgrading.',
        scheduledFor: '2026-11-22T02:00:00Z',
        scheduledUntil: '2026-11-22T04:00:00Z',
      },
      testActor,
    );
    // Declared at 12:00 UTC, next update promised for 16:00 UTC: 17:00 the same day in Berlin,
    // 01:00 the next day in Tokyo.
    incidentId = (
      await makeIncident(s.deps, {
        title: 'Logins fail',
        priority: 1,
        body: 'Some logins fail.',
        components: [{ componentId: api.id, status: 'partial_outage' }],
        nextUpdateInMinutes: 240,
      })
    ).incident.id;
  });
  afterAll(() => w?.close());

  /** A page whose clock agrees with Herald's test clock, in the given zone. */
  async function open(path: string, opts: BrowserContextOptions) {
    const context = await browser.newContext({ locale: 'en-US', ...opts });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    if (opts.javaScriptEnabled !== false) await page.clock.setFixedTime(s.clock.now());
    await page.goto(`${s.url}${path}`);
    return { page, errors, close: () => context.close() };
  }
  const at = (iso: string) => `time[datetime="${iso}"]`;

  it('shows every time in the visitor zone, the page-zone text in the title, under the page CSP', async () => {
    const { page, errors, close } = await open('/maintenance', { timezoneId: 'America/New_York' });
    const start = page.locator(at('2026-11-22T02:00:00.000Z')).first();
    expect(await start.textContent()).toBe('Sat 21 Nov 2026, 21:00 EST');
    expect(await start.getAttribute('title')).toBe('Sun 22 Nov 2026, 03:00 GMT+1');
    const end = page.locator(at('2026-11-22T04:00:00.000Z')).first();
    expect(await end.textContent()).toBe('Sat 21 Nov 2026, 23:00 EST');
    // No CSP refusal: the script is an external file from 'self'.
    expect(errors.filter((e) => /Content Security Policy|Refused/.test(e))).toEqual([]);
    await close();
  });

  it('without JavaScript, the server text in the page zone stays', async () => {
    const { page, close } = await open('/maintenance', {
      timezoneId: 'America/New_York',
      javaScriptEnabled: false,
    });
    const start = page.locator(at('2026-11-22T02:00:00.000Z')).first();
    expect(await start.textContent()).toBe('Sun 22 Nov 2026, 03:00 GMT+1');
    expect(await start.getAttribute('title')).toBeNull();
    await close();
  });

  it('"next update by" names the day when it falls on another day for the visitor', async () => {
    const { page, close } = await open(`/incidents/${incidentId}`, { timezoneId: 'Asia/Tokyo' });
    const next = page.locator('.next-update time').first();
    expect(await next.textContent()).toBe('Nov 22, 2026, 01:00 GMT+9');
    expect(await next.getAttribute('title')).toBe('17:00 GMT+1');
    await close();

    const ny = await open(`/incidents/${incidentId}`, { timezoneId: 'America/New_York' });
    expect(await ny.page.locator('.next-update time').first().textContent()).toBe('11:00 EST');
    await ny.close();
  });

  it('content swapped in by a live refresh shows in the visitor zone too', async () => {
    const { page, close } = await open('/', { timezoneId: 'Asia/Tokyo' });
    expect(await page.locator('.last-updated time').textContent()).toMatch(/ GMT\+9$/);
    s.clock.advance(30 * 60_000);
    await postIncidentUpdate(
      s.deps,
      { incidentId, status: 'identified', body: 'Found the bad deploy.', nextUpdateInMinutes: 30 },
      testActor,
    );
    await page.locator('text=Found the bad deploy.').first().waitFor({ timeout: 10_000 });
    // 12:30 UTC: 21:30 in Tokyo; the promise, 13:00 UTC, is 22:00 there.
    expect(await page.locator(at('2026-11-21T12:30:00.000Z')).first().textContent()).toBe(
      'Nov 21, 21:30 GMT+9',
    );
    expect(await page.locator('.next-update time').first().textContent()).toBe('22:00 GMT+9');
    expect(await page.locator('.last-updated time').textContent()).toBe('Nov 21, 21:30 GMT+9');
    await close();
  });
});
