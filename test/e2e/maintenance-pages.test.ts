import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import { scheduleIncidentUpdate } from '../../server/domain/incidents/schedule-update.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import {
  switchMaintenanceOff,
  switchMaintenanceOn,
} from '../../server/domain/settings/switch-maintenance.ts';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createTestContext, type TestContext, testActor } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { startSite } from '../helpers/site.ts';

// Each test has its own database, clock and settings, so none depends on another's order.
describe('public pages on the clock: /maintenance, the / banner, scheduled updates', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  const page = async (path: string) => (await fetch(site.base + path)).text();
  beforeEach(async () => {
    t = await createTestContext();
    site = await startSite(t);
  });
  afterEach(async () => {
    await site.close();
    await t.close();
  });

  it('the switch puts /maintenance and the home banner up with its message and expected end, and takes them down', async () => {
    expect(await page('/maintenance')).toContain('No maintenance is under way');
    await switchMaintenanceOn(
      t.deps,
      { message: 'Moving <house>.', until: '2026-11-21T14:00:00Z' },
      testActor,
    );
    const m = await page('/maintenance');
    expect(m).toContain('Acme is under maintenance');
    expect(m).toContain('Moving &lt;house&gt;.');
    expect(m).toContain('Sat 21 Nov 2026, 14:00 UTC');
    const home = await page('/');
    expect(home).toContain('Maintenance in progress');
    expect(home).toContain(
      'Expected back by <time datetime="2026-11-21T14:00:00.000Z">14:00 UTC</time>',
    );
    await switchMaintenanceOff(t.deps, {}, testActor);
    expect(await page('/maintenance')).toContain('No maintenance is under way');
    expect(await page('/')).not.toContain('Maintenance in progress');
  });

  it('a window shows as upcoming, then active while in progress, then leaves /maintenance and / when completed; times in the page time zone', async () => {
    await updateSettings(t.deps, { timeZone: 'Europe/Berlin' }, testActor);
    const api = await makeComponent(t.deps, { name: 'Public API' });
    await scheduleMaintenance(
      t.deps,
      {
        title: 'Database upgrade',
        description: 'Upgrading <script>alert(1)</script> to "v2".',
        scheduledFor: '2026-11-22T02:00:00Z',
        scheduledUntil: '2026-11-22T04:00:00Z',
        componentIds: [api.id],
      },
      testActor,
    );
    const before = await page('/maintenance');
    expect(before).toContain('Upcoming maintenance');
    expect(before).toContain('Sun 22 Nov 2026, 03:00 GMT+1');
    expect(before).toContain('href="/maintenance.ics?lang=en"');

    const scheduler = createScheduler(t.deps);
    t.clock.set('2026-11-22T02:00:00Z');
    await scheduler.runOnce();
    const during = await page('/maintenance');
    expect(during).toContain('Acme is under maintenance');
    expect(during).toContain('Database upgrade');
    expect(during).toContain('What is down:</strong> Public API');
    // The window's description is escaped on the page that shows it.
    expect(during).toContain('Upgrading &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(during).not.toContain('<script>alert(1)');
    const home = await page('/');
    expect(home).toContain('Service Under Maintenance');
    expect(home).toContain('In progress');

    t.clock.set('2026-11-22T04:00:00Z');
    await scheduler.runOnce();
    expect(await page('/maintenance')).toContain('No maintenance is under way');
    const after = await page('/');
    expect(after).toContain('All Systems Operational');
    expect(after).not.toContain('Database upgrade');
  });

  it('a scheduled update is not on the incident page until it goes out; then the page shows it and the next promise', async () => {
    await updateSettings(t.deps, { timeZone: 'Europe/Berlin' }, testActor);
    t.clock.set('2026-11-22T04:00:00Z');
    const { incident } = await declareIncident(
      t.deps,
      { title: 'Slow logins', priority: 1, body: 'Investigating.' },
      testActor,
    );
    const at = new Date(t.clock.now().getTime() + 10 * 60_000);
    await scheduleIncidentUpdate(
      t.deps,
      {
        incidentId: incident.id,
        body: 'Still on it; a fix is rolling out.',
        scheduledFor: at,
        nextUpdateInMinutes: 60,
      },
      testActor,
    );
    expect(await page(`/incidents/${incident.id}`)).not.toContain('a fix is rolling out');
    t.clock.set(at);
    await createScheduler(t.deps).runOnce();
    const html = await page(`/incidents/${incident.id}`);
    expect(html).toContain('a fix is rolling out');
    expect(await page('/')).toContain(
      'Next update by <time datetime="2026-11-22T05:10:00.000Z">06:10 GMT+1</time>',
    );
  });
});
