import ical, { type VEvent } from 'node-ical';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extendMaintenance } from '../../server/domain/maintenance/extend-maintenance.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import {
  switchMaintenanceOff,
  switchMaintenanceOn,
} from '../../server/domain/settings/switch-maintenance.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createTestContext, type TestContext, testActor } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';

describe('GET /api/maintenance (the maintenance switch)', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(() => t.close());

  it('answers {"active":false} with CORS * and a short max-age while the switch is off', async () => {
    const res = await t.app.request('/api/maintenance', {
      headers: { origin: 'https://app.example.com' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ active: false });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('public, max-age=5');
  });

  it('flips to active with message, expected end and start when switched on, and back when switched off', async () => {
    const since = t.clock.now();
    const until = new Date(since.getTime() + 2 * 60 * 60_000);
    await switchMaintenanceOn(
      t.deps,
      { message: 'We are moving to a new data centre.', until },
      testActor,
    );
    expect(await (await t.app.request('/api/maintenance')).json()).toEqual({
      active: true,
      message: 'We are moving to a new data centre.',
      until: until.toISOString(),
      since: since.toISOString(),
    });
    // Changing the message keeps the time it started.
    t.clock.advance(60_000);
    await switchMaintenanceOn(t.deps, { message: 'Nearly done.' }, testActor);
    expect(await (await t.app.request('/api/maintenance')).json()).toEqual({
      active: true,
      message: 'Nearly done.',
      until: null,
      since: since.toISOString(),
    });

    await switchMaintenanceOff(t.deps, {}, testActor);
    expect(await (await t.app.request('/api/maintenance')).json()).toEqual({ active: false });
  });

  it('refuses an empty message and an expected end in the past', async () => {
    await expect(switchMaintenanceOn(t.deps, { message: ' ' }, testActor)).rejects.toMatchObject({
      fields: { message: 'is required' },
    });
    await expect(
      switchMaintenanceOn(
        t.deps,
        { message: 'x', until: new Date(t.clock.now().getTime() - 1) },
        testActor,
      ),
    ).rejects.toMatchObject({
      fields: { until: 'must be in the future' },
    });
    expect(await (await t.app.request('/api/maintenance')).json()).toEqual({ active: false });
  });
});

function vevents(text: string): VEvent[] {
  return Object.values(ical.sync.parseICS(text)).filter((e): e is VEvent => e?.type === 'VEVENT');
}

describe('GET /maintenance.ics', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(() => t.close());

  it('parses as a calendar of upcoming and recent windows, updated in place when a window is extended', async () => {
    const api = await makeComponent(t.deps, { name: 'API' });
    const past = await scheduleMaintenance(
      t.deps,
      {
        title: 'Old window',
        description: 'Done before.',
        scheduledFor: '2026-11-21T12:30:00Z',
        scheduledUntil: '2026-11-21T13:00:00Z',
      },
      testActor,
    );
    const next = await scheduleMaintenance(
      t.deps,
      {
        title: 'Database upgrade, "v17"; part 1',
        description: 'Upgrade; expect <short> pauses.',
        scheduledFor: '2026-11-22T02:00:00Z',
        scheduledUntil: '2026-11-22T04:00:00Z',
        componentIds: [api.id],
      },
      testActor,
    );
    t.clock.set('2026-11-21T13:00:00Z');
    await createScheduler(t.deps).runOnce();

    const res = await t.app.request('/maintenance.ics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const events = vevents(await res.text());
    expect(events).toHaveLength(2);
    const byUid = new Map(events.map((e) => [e.uid, e]));
    const upcoming = byUid.get(`${next.id}@status.example.com`);
    expect(upcoming).toMatchObject({
      summary: 'Database upgrade, "v17"; part 1',
      url: { val: `https://status.example.com/incidents/${next.id}` },
    });
    expect(upcoming?.start.toISOString()).toBe('2026-11-22T02:00:00.000Z');
    expect(upcoming?.end?.toISOString()).toBe('2026-11-22T04:00:00.000Z');
    expect(upcoming?.description).toContain('Affected: API');
    expect(byUid.get(`${past.id}@status.example.com`)).toMatchObject({
      summary: 'Old window (completed)',
    });

    await extendMaintenance(
      t.deps,
      { maintenanceId: next.id, scheduledUntil: '2026-11-22T05:00:00Z' },
      testActor,
    );
    const extended = vevents(await (await t.app.request('/maintenance.ics')).text()).find(
      (e) => e.uid === `${next.id}@status.example.com`,
    );
    expect(extended?.end?.toISOString()).toBe('2026-11-22T05:00:00.000Z');
    expect(Number(extended?.sequence)).toBeGreaterThan(Number(upcoming?.sequence));
  });

  it('speaks the language ?lang= asks for, as the RSS and Atom feeds do, and the page default without', async () => {
    const db = await makeComponent(t.deps, { name: 'Datenbank' });
    const w = await scheduleMaintenance(
      t.deps,
      {
        title: 'Datenbank-Upgrade',
        description: 'Kurze Pausen.',
        scheduledFor: '2026-11-21T12:30:00Z',
        scheduledUntil: '2026-11-21T13:00:00Z',
        componentIds: [db.id],
      },
      testActor,
    );
    t.clock.set('2026-11-21T13:00:00Z');
    await createScheduler(t.deps).runOnce();

    const german = await (await t.app.request('/maintenance.ics?lang=de')).text();
    const [event] = vevents(german);
    expect(event?.summary).toBe('Datenbank-Upgrade (abgeschlossen)');
    expect(event?.description).toContain('Betroffen: Datenbank');
    expect(event?.description).toContain(`Details: https://status.example.com/incidents/${w.id}`);
    expect(german).toContain('X-WR-CALNAME:Wartung von');
    const english = vevents(await (await t.app.request('/maintenance.ics')).text());
    expect(english[0]?.summary).toBe('Datenbank-Upgrade (completed)');
    expect(english[0]?.description).toContain('Affected: Datenbank');
  });
});
