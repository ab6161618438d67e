import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  broadcasts,
  deliveries,
  lists,
  maintenances,
  maintenanceUpdates,
  subscribers,
} from '../../db/schema/index.ts';
import { renderMaintenanceNotice } from '../../emails/maintenance-notice.ts';
import { setComponentStatus } from '../../server/domain/components/set-component-status.ts';
import { completeMaintenance } from '../../server/domain/maintenance/complete-maintenance.ts';
import { extendMaintenance } from '../../server/domain/maintenance/extend-maintenance.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { startMaintenance } from '../../server/domain/maintenance/start-maintenance.ts';
import { newId } from '../../server/domain/shared/ids.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createTestContext, type TestContext, testActor } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { openSecondDeps } from '../helpers/second-process.ts';

const SUN_2 = new Date('2026-11-22T02:00:00.000Z');
const SUN_4 = new Date('2026-11-22T04:00:00.000Z');
const MIN = 60_000;

async function addSubscriber(t: TestContext, email: string, componentIds: string[] | null = null) {
  const [list] = await t.deps.db.select().from(lists).where(eq(lists.slug, 'customers'));
  const now = t.clock.now();
  await t.deps.db.insert(subscribers).values({
    id: newId(),
    listId: list!.id,
    email,
    state: 'confirmed',
    componentIds,
    createdAt: now,
    confirmedAt: now,
    updatedAt: now,
  });
}

async function notices(t: TestContext, maintenanceId: string) {
  const rows = await t.deps.db
    .select()
    .from(broadcasts)
    .where(eq(broadcasts.maintenanceId, maintenanceId))
    .orderBy(broadcasts.createdAt);
  const out = [];
  for (const b of rows) {
    const d = await t.deps.db.select().from(deliveries).where(eq(deliveries.broadcastId, b.id));
    out.push({ kind: b.kind, subject: b.subject, deliveries: d.length });
  }
  return out;
}

async function componentStatuses(t: TestContext) {
  const body = await (await t.app.request('/api/v2/components.json')).json();
  return Object.fromEntries(
    body.components.map((c: { name: string; status: string }) => [c.name, c.status]),
  );
}

describe('maintenance windows', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(() => t.close());

  it('announces, reminds, starts, completes and restores component statuses, each step recorded and on the page', async () => {
    const api = await makeComponent(t.deps, { name: 'API' });
    const db = await makeComponent(t.deps, { name: 'Database' });
    await makeComponent(t.deps, { name: 'Website' });
    await setComponentStatus(
      t.deps,
      { componentId: db.id, status: 'degraded_performance' },
      testActor,
    );
    await addSubscriber(t, 'ann@example.org');
    await addSubscriber(t, 'web-only@example.org', ['some-other-component']);

    const m = await scheduleMaintenance(
      t.deps,
      {
        title: 'Database upgrade',
        description: 'We upgrade the primary database.',
        scheduledFor: SUN_2,
        scheduledUntil: SUN_4,
        componentIds: [api.id, db.id],
        reminderLeadMinutes: 60,
      },
      testActor,
    );
    expect(await notices(t, m.id)).toEqual([
      {
        kind: 'maintenance_scheduled',
        subject: 'SCHEDULED MAINTENANCE: DATABASE UPGRADE, SUN 02:00-04:00 UTC',
        deliveries: 1,
      },
    ]);
    const upcoming = await (
      await t.app.request('/api/v2/scheduled-maintenances/upcoming.json')
    ).json();
    expect(upcoming.scheduled_maintenances.map((w: { id: string }) => w.id)).toEqual([m.id]);

    const scheduler = createScheduler(t.deps);
    t.clock.set(SUN_2.getTime() - 61 * MIN);
    await scheduler.runOnce();
    expect(await notices(t, m.id)).toHaveLength(1);
    t.clock.set(SUN_2.getTime() - 60 * MIN);
    expect((await scheduler.runOnce()).maintenance).toEqual([
      { maintenanceId: m.id, step: 'reminder' },
    ]);
    await scheduler.runOnce();
    expect((await notices(t, m.id)).map((n) => n.subject)).toEqual([
      'SCHEDULED MAINTENANCE: DATABASE UPGRADE, SUN 02:00-04:00 UTC',
      'MAINTENANCE REMINDER: DATABASE UPGRADE, SUN 02:00-04:00 UTC',
    ]);

    t.clock.set(SUN_2);
    expect((await scheduler.runOnce()).maintenance).toEqual([
      { maintenanceId: m.id, step: 'start', late: false },
    ]);
    expect(await componentStatuses(t)).toEqual({
      API: 'under_maintenance',
      Database: 'under_maintenance',
      Website: 'operational',
    });
    const active = await (await t.app.request('/api/v2/scheduled-maintenances/active.json')).json();
    expect(active.scheduled_maintenances[0]).toMatchObject({
      id: m.id,
      status: 'in_progress',
      started_at: SUN_2.toISOString(),
    });
    expect((await (await t.app.request('/api/v2/status.json')).json()).status.indicator).toBe(
      'maintenance',
    );
    const summary = await (await t.app.request('/api/v2/summary.json')).json();
    expect(summary.scheduled_maintenances.map((w: { status: string }) => w.status)).toEqual([
      'in_progress',
    ]);

    t.clock.set(SUN_4.getTime() - 1);
    expect((await scheduler.runOnce()).maintenance).toEqual([]);
    t.clock.set(SUN_4);
    expect((await scheduler.runOnce()).maintenance).toEqual([
      { maintenanceId: m.id, step: 'complete', late: false },
    ]);
    expect(await componentStatuses(t)).toEqual({
      API: 'operational',
      Database: 'degraded_performance',
      Website: 'operational',
    });
    expect(
      (await (await t.app.request('/api/v2/scheduled-maintenances/active.json')).json())
        .scheduled_maintenances,
    ).toEqual([]);
    const all = await (await t.app.request('/api/v2/scheduled-maintenances.json')).json();
    expect(all.scheduled_maintenances[0]).toMatchObject({
      status: 'completed',
      resolved_at: SUN_4.toISOString(),
    });
    expect(
      all.scheduled_maintenances[0].incident_updates.map((u: { status: string }) => u.status),
    ).toEqual(['completed', 'in_progress', 'scheduled']);
    expect((await notices(t, m.id)).map((n) => n.kind)).toEqual([
      'maintenance_scheduled',
      'maintenance_reminder',
      'maintenance_started',
      'maintenance_completed',
    ]);
    const rss = await (await t.app.request('/history.rss')).text();
    expect(rss).toContain('<maintenanceEndDate>Sun, 22 Nov 2026 04:00:00 GMT</maintenanceEndDate>');
    expect(rss).toContain('Completed</strong>');
  });

  it('sends only the notices that are switched on', async () => {
    await addSubscriber(t, 'ann@example.org');
    const m = await scheduleMaintenance(
      t.deps,
      {
        title: 'Quiet window',
        description: 'Routine.',
        scheduledFor: SUN_2,
        scheduledUntil: SUN_4,
        notifyOnSchedule: false,
        notifyReminder: false,
        notifyOnStart: true,
        notifyOnComplete: false,
      },
      testActor,
    );
    const scheduler = createScheduler(t.deps);
    for (const at of [SUN_2.getTime() - 60 * MIN, SUN_2.getTime(), SUN_4.getTime()]) {
      t.clock.set(at);
      await scheduler.runOnce();
    }
    expect((await notices(t, m.id)).map((n) => n.kind)).toEqual(['maintenance_started']);
    const [row] = await t.deps.db.select().from(maintenances).where(eq(maintenances.id, m.id));
    expect(row?.status).toBe('completed');
  });

  it('an admin can start early, extend and complete early; a second start is a conflict', async () => {
    const api = await makeComponent(t.deps, { name: 'API' });
    const m = await scheduleMaintenance(
      t.deps,
      {
        title: 'Cache flush',
        description: 'Flushing.',
        scheduledFor: SUN_2,
        scheduledUntil: SUN_4,
        componentIds: [api.id],
      },
      testActor,
    );
    t.clock.set(SUN_2.getTime() - 30 * MIN);
    await startMaintenance(t.deps, { maintenanceId: m.id }, testActor);
    await expect(startMaintenance(t.deps, { maintenanceId: m.id }, testActor)).rejects.toThrow(
      /in progress; it cannot start/,
    );
    expect((await componentStatuses(t)).API).toBe('under_maintenance');
    const later = new Date(SUN_4.getTime() + 60 * MIN);
    await extendMaintenance(t.deps, { maintenanceId: m.id, scheduledUntil: later }, testActor);
    await expect(
      extendMaintenance(t.deps, { maintenanceId: m.id, scheduledUntil: SUN_4 }, testActor),
    ).rejects.toMatchObject({ fields: { scheduledUntil: 'must be later than the current end' } });

    // The scheduler leaves it running past the old end.
    t.clock.set(SUN_4);
    expect((await createScheduler(t.deps).runOnce()).maintenance).toEqual([]);
    await completeMaintenance(t.deps, { maintenanceId: m.id, body: 'Done early.' }, testActor);
    expect((await componentStatuses(t)).API).toBe('operational');
    const updates = await t.deps.db
      .select()
      .from(maintenanceUpdates)
      .where(eq(maintenanceUpdates.maintenanceId, m.id))
      .orderBy(maintenanceUpdates.createdAt);
    expect(updates.map((u) => [u.status, u.statusChanged])).toEqual([
      ['scheduled', true],
      ['in_progress', true],
      ['in_progress', false],
      ['completed', true],
    ]);
    expect(updates[2]?.body).toBe(
      'The maintenance window has been extended until Sun 22 Nov 2026, 05:00 UTC.',
    );
  });

  it('a window that began and ended while Herald was down starts and completes at start-up, without a start notice', async () => {
    const api = await makeComponent(t.deps, { name: 'API' });
    await addSubscriber(t, 'ann@example.org');
    const m = await scheduleMaintenance(
      t.deps,
      {
        title: 'Overnight',
        description: 'Night work.',
        scheduledFor: SUN_2,
        scheduledUntil: SUN_4,
        componentIds: [api.id],
      },
      testActor,
    );
    await t.deps.close();
    t.clock.set(SUN_4.getTime() + 3 * 60 * MIN);
    const restarted = await openSecondDeps(t);
    try {
      const report = await createScheduler(restarted).runOnce();
      expect(report.maintenance).toEqual([
        { maintenanceId: m.id, step: 'start', late: true },
        { maintenanceId: m.id, step: 'complete', late: true },
      ]);
      const kinds = (
        await restarted.db.select().from(broadcasts).where(eq(broadcasts.maintenanceId, m.id))
      ).map((b) => b.kind);
      expect(kinds.sort()).toEqual(['maintenance_completed', 'maintenance_scheduled']);
      const [row] = await restarted.db
        .select()
        .from(maintenances)
        .where(and(eq(maintenances.id, m.id), eq(maintenances.status, 'completed')));
      expect(row).toBeDefined();
    } finally {
      await restarted.close();
    }
  });

  it('renders the notice with the window in UTC, escaped, with no line breaks in the subject', () => {
    const mail = renderMaintenanceNotice({
      kind: 'maintenance_scheduled',
      pageName: 'Acme',
      listName: 'Customers',
      title: 'DB <upgrade>\r\nBcc: x@evil.test',
      body: 'Line one\n<script>alert(1)</script>',
      scheduledFor: new Date('2026-11-21T23:00:00Z'),
      scheduledUntil: new Date('2026-11-22T01:00:00Z'),
      components: ['API'],
      maintenanceUrl: 'https://status.example.com/incidents/abc',
      calendarUrl: 'https://status.example.com/maintenance.ics',
      manageUrl: 'https://status.example.com/manage/t',
      unsubscribeUrl: 'https://status.example.com/unsubscribe/t',
    });
    expect(mail.subject).toBe(
      'SCHEDULED MAINTENANCE: DB <UPGRADE> BCC: X@EVIL.TEST, SAT 23:00-SUN 01:00 UTC',
    );
    expect(mail.text).toContain('When: Sat 21 Nov 2026, 23:00 UTC to Sun 22 Nov 2026, 01:00 UTC');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('href="https://status.example.com/maintenance.ics"');
  });
});
