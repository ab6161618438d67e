import { describe, expect, it } from 'vitest';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { startMaintenance } from '../../server/domain/maintenance/start-maintenance.ts';
import {
  switchMaintenanceOff,
  switchMaintenanceOn,
} from '../../server/domain/settings/switch-maintenance.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { startSite } from '../helpers/site.ts';

/** Each test gets its own database and site, so none depends on another's data or clock. */
async function withSite(
  fn: (t: TestContext, get: (p: string) => Promise<Response>) => Promise<void>,
) {
  const t = await createTestContext();
  const site = await startSite(t);
  try {
    await fn(t, (p) => fetch(site.base + p));
  } finally {
    await site.close();
    await t.close();
  }
}

const json = async (r: Response) => (await r.json()) as Record<string, any>;

function upcomingWindow(t: TestContext, title = 'Database upgrade') {
  const now = t.clock.now().getTime();
  return scheduleMaintenance(
    t.deps,
    {
      title,
      description: 'Upgrading the primary database.',
      scheduledFor: new Date(now + 2 * 3600_000),
      scheduledUntil: new Date(now + 3 * 3600_000),
      notify: false,
    },
    testActor,
  );
}

describe('surfaces that say only what is true', () => {
  it('with the switch on, status.json and summary.json say maintenance and list it as an active maintenance', async () => {
    await withSite(async (t, get) => {
      const before = await json(await get('/api/v2/status.json'));
      expect(before.status).toEqual({ indicator: 'none', description: 'All Systems Operational' });
      await switchMaintenanceOn(t.deps, { message: 'Upgrading everything.' }, testActor);
      const status = await json(await get('/api/v2/status.json'));
      expect(status.status).toEqual({
        indicator: 'maintenance',
        description: 'Service Under Maintenance',
      });
      const summary = await json(await get('/api/v2/summary.json'));
      expect(summary.status.indicator).toBe('maintenance');
      expect(summary.scheduled_maintenances[0]).toMatchObject({
        status: 'in_progress',
        impact: 'maintenance',
        incident_updates: [expect.objectContaining({ body: 'Upgrading everything.' })],
      });
      const active = await json(await get('/api/v2/scheduled-maintenances/active.json'));
      expect(active.scheduled_maintenances.map((m: { status: string }) => m.status)).toEqual([
        'in_progress',
      ]);
      await switchMaintenanceOff(t.deps, {}, testActor);
      const after = await json(await get('/api/v2/summary.json'));
      expect(after.status.indicator).toBe('none');
      expect(after.scheduled_maintenances).toEqual([]);
    });
  });

  it('/maintenance does not call everything done above an upcoming window', async () => {
    await withSite(async (t, get) => {
      const nothing = await (await get('/maintenance')).text();
      expect(nothing).toContain('banner-none');
      await upcomingWindow(t);
      const html = await (await get('/maintenance')).text();
      expect(html).toContain('Database upgrade');
      expect(html).not.toContain('Everything planned is done');
      expect(html).not.toContain('banner-none');
      expect(html).toContain('The next window starts');
    });
  });

  it('/maintenance does not show a green all-clear during a P0', async () => {
    await withSite(async (t, get) => {
      await makeIncident(t.deps, { priority: 0, title: 'Website is down' });
      const html = await (await get('/maintenance')).text();
      expect(html).not.toContain('banner-none');
      expect(html).toContain('ongoing incident');
    });
  });

  it('/history lists a maintenance only once it has started; the feed still announces it', async () => {
    await withSite(async (t, get) => {
      const w = await upcomingWindow(t, 'Network switch swap');
      await makeIncident(t.deps, { priority: 2, title: 'Earlier slowness' });
      const history = await (await get('/history')).text();
      expect(history).toContain('Earlier slowness');
      expect(history).not.toContain('Network switch swap');
      expect(await (await get('/history.rss')).text()).toContain('Network switch swap');
      await startMaintenance(t.deps, { maintenanceId: w.id }, testActor);
      expect(await (await get('/history')).text()).toContain('Network switch swap');
    });
  });

  it('the RSS channel describes the page, not the literal word Statuspage', async () => {
    await withSite(async (_t, get) => {
      const rss = await (await get('/history.rss')).text();
      const description = /<channel>[\s\S]*?<description>(?:<!\[CDATA\[)?([^<\]]*)/.exec(rss)![1];
      expect(description).not.toBe('Statuspage');
      expect(description).toContain('Acme');
    });
  });

  it('a maintenance has started_at as its publish time before it starts (as Statuspage), its start after', async () => {
    await withSite(async (t, get) => {
      const w = await upcomingWindow(t);
      const find = async () =>
        (await json(await get('/api/v2/scheduled-maintenances.json'))).scheduled_maintenances.find(
          (m: { id: string }) => m.id === w.id,
        );
      const before = await find();
      expect(before.started_at).toBe(before.created_at);
      t.clock.advance(60_000);
      await startMaintenance(t.deps, { maintenanceId: w.id }, testActor);
      expect((await find()).started_at).toBe(t.clock.now().toISOString());
    });
  });

  it('incident pages carry a meta description with the status and latest update, escaped', async () => {
    await withSite(async (t, get) => {
      const { incident } = await makeIncident(t.deps, {
        priority: 1,
        title: 'Payments failing',
        body: 'Card payments fail for "some" <customers>.',
      });
      const html = await (await get(`/incidents/${incident.id}`)).text();
      const meta = /<meta name="description" content="([^"]*)"/.exec(html);
      expect(meta).not.toBeNull();
      expect(meta![1]).toContain('Investigating');
      // A quote cannot end the attribute; < and > are harmless inside a quoted attribute.
      expect(meta![1]).toMatch(
        /Card payments fail for &quot;some&quot; (&lt;|<)customers(&gt;|>)\./,
      );
    });
  });
});
