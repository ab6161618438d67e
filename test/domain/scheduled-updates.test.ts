import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, incidents, incidentUpdates } from '../../db/schema/index.ts';
import {
  cancelScheduledUpdate,
  editScheduledUpdate,
} from '../../server/domain/incidents/edit-scheduled-update.ts';
import {
  scheduleIncident,
  scheduleIncidentUpdate,
} from '../../server/domain/incidents/schedule-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createTestContext, type TestContext, testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { openSecondDeps, readySchedulerProcesses } from '../helpers/second-process.ts';

const MIN = 60_000;

async function publicIncident(t: TestContext, id: string) {
  const res = await t.app.request('/api/v2/incidents.json');
  const body = (await res.json()) as {
    incidents: {
      id: string;
      status: string;
      incident_updates: {
        id: string;
        body: string;
        display_at: string;
        affected_components: unknown;
      }[];
    }[];
  };
  return body.incidents.find((i) => i.id === id);
}

describe('scheduled incident updates', () => {
  let t: TestContext;
  beforeEach(async () => {
    t = await createTestContext();
  });
  afterEach(() => t.close());

  it('stays invisible to the page, API and feeds until its time, then goes out once at that time', async () => {
    const api = await makeComponent(t.deps, { name: 'API' });
    const { incident } = await makeIncident(t.deps, { priority: 2, title: 'Slow API' });
    const at = new Date(t.clock.now().getTime() + 10 * MIN);
    const scheduled = await scheduleIncidentUpdate(
      t.deps,
      {
        incidentId: incident.id,
        status: 'monitoring',
        body: 'The fix is deployed; we are watching.',
        scheduledFor: at,
        components: [{ componentId: api.id, status: 'operational' }],
      },
      testActor,
    );
    const scheduler = createScheduler({ ...t.deps, log: t.deps.log });

    t.clock.advance(10 * MIN - 1000);
    expect((await scheduler.runOnce()).published).toEqual([]);
    const before = await publicIncident(t, incident.id);
    expect(before?.incident_updates.map((u) => u.id)).not.toContain(scheduled.id);
    expect(await (await t.app.request('/history.rss')).text()).not.toContain('The fix is deployed');

    t.clock.advance(1000);
    const report = await scheduler.runOnce();
    expect(report.published).toEqual([
      { updateId: scheduled.id, incidentId: incident.id, late: false },
    ]);
    const after = await publicIncident(t, incident.id);
    expect(after?.status).toBe('monitoring');
    expect(after?.incident_updates[0]).toMatchObject({
      id: scheduled.id,
      body: 'The fix is deployed; we are watching.',
      display_at: at.toISOString(),
    });
    expect(after?.incident_updates[0]?.affected_components).toEqual([
      { code: api.id, name: 'API', old_status: 'operational', new_status: 'operational' },
    ]);
    expect(await (await t.app.request('/history.rss')).text()).toContain('The fix is deployed');

    t.clock.advance(5 * MIN);
    expect((await scheduler.runOnce()).published).toEqual([]);
    const rows = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id));
    expect(rows.filter((r) => r.state === 'published')).toHaveLength(2);
  });

  it('a scheduled incident is not public at all until its first update goes out', async () => {
    const db = await makeComponent(t.deps, { name: 'Database' });
    const at = new Date(t.clock.now().getTime() + 60 * MIN);
    const { incident, update } = await scheduleIncident(
      t.deps,
      {
        title: 'Database upgrade side effects',
        priority: 1,
        body: 'Expect slower queries for an hour.',
        scheduledFor: at,
        components: [{ componentId: db.id, status: 'degraded_performance' }],
      },
      testActor,
    );
    const scheduler = createScheduler({ ...t.deps, log: t.deps.log });
    await scheduler.runOnce();
    expect(await publicIncident(t, incident.id)).toBeUndefined();
    expect(
      (await (await t.app.request('/api/v2/components.json')).json()).components[0].status,
    ).toBe('operational');

    t.clock.set(at);
    await scheduler.runOnce();
    const pub = await publicIncident(t, incident.id);
    expect(pub?.incident_updates.map((u) => u.id)).toEqual([update.id]);
    expect(
      (await (await t.app.request('/api/v2/components.json')).json()).components[0].status,
    ).toBe('degraded_performance');
    const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row?.publishedAt?.toISOString()).toBe(at.toISOString());
    // P1 promises the next update, counted from when it went out.
    expect(row?.nextUpdateDueAt?.toISOString()).toBe(
      new Date(at.getTime() + 30 * MIN).toISOString(),
    );
  });

  it('can be edited and cancelled until it goes out, and not after', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 2 });
    const at = new Date(t.clock.now().getTime() + 10 * MIN);
    const a = await scheduleIncidentUpdate(
      t.deps,
      { incidentId: incident.id, body: 'first draft', scheduledFor: at },
      testActor,
    );
    const b = await scheduleIncidentUpdate(
      t.deps,
      { incidentId: incident.id, body: 'to be cancelled', scheduledFor: at },
      testActor,
    );
    const later = new Date(at.getTime() + 5 * MIN);
    await editScheduledUpdate(
      t.deps,
      { updateId: a.id, body: 'final words', scheduledFor: later },
      testActor,
    );
    await cancelScheduledUpdate(t.deps, { updateId: b.id }, testActor);
    const scheduler = createScheduler({ ...t.deps, log: t.deps.log });

    t.clock.set(at);
    expect((await scheduler.runOnce()).published).toEqual([]);
    t.clock.set(later);
    expect((await scheduler.runOnce()).published.map((p) => p.updateId)).toEqual([a.id]);
    const pub = await publicIncident(t, incident.id);
    expect(pub?.incident_updates[0]?.body).toBe('final words');
    expect(pub?.incident_updates.map((u) => u.body)).not.toContain('to be cancelled');

    await expect(
      editScheduledUpdate(t.deps, { updateId: a.id, body: 'too late' }, testActor),
    ).rejects.toThrow(/already gone out/);
    await expect(cancelScheduledUpdate(t.deps, { updateId: a.id }, testActor)).rejects.toThrow(
      /already gone out/,
    );
  });

  it('cancelling the only update of a scheduled incident calls the incident off, never public', async () => {
    const at = new Date(t.clock.now().getTime() + 60 * MIN);
    const { incident, update } = await scheduleIncident(
      t.deps,
      { title: 'Maybe later', priority: 2, body: 'Planned.', scheduledFor: at },
      testActor,
    );
    expect(await cancelScheduledUpdate(t.deps, { updateId: update.id }, testActor)).toMatchObject({
      incidentCalledOff: true,
    });
    t.clock.set(at.getTime() + MIN);
    expect((await createScheduler(t.deps).runOnce()).published).toEqual([]);
    const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row).toMatchObject({ status: 'resolved', publishedAt: null });
    expect(await publicIncident(t, incident.id)).toBeUndefined();
  });

  it('rejects a time in the past', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 2 });
    await expect(
      scheduleIncidentUpdate(
        t.deps,
        {
          incidentId: incident.id,
          body: 'x',
          scheduledFor: new Date(t.clock.now().getTime() - 1000),
        },
        testActor,
      ),
    ).rejects.toMatchObject({ fields: { scheduledFor: 'must be in the future' } });
  });

  it('items that fell due while Herald was down go out at start-up, keep their time and are flagged late', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1 });
    const at = new Date(t.clock.now().getTime() + 10 * MIN);
    const s = await scheduleIncidentUpdate(
      t.deps,
      {
        incidentId: incident.id,
        body: 'Scheduled while we were up.',
        scheduledFor: at,
        nextUpdateInMinutes: 15,
      },
      testActor,
    );
    await t.deps.close();

    // "Restart" two hours later: new deps on the same database file.
    t.clock.set(at.getTime() + 2 * 60 * MIN);
    const restarted = await openSecondDeps(t);
    try {
      const report = await createScheduler(restarted).runOnce();
      expect(report.published).toEqual([{ updateId: s.id, incidentId: incident.id, late: true }]);
      const [row] = await restarted.db
        .select()
        .from(incidentUpdates)
        .where(eq(incidentUpdates.id, s.id));
      expect(row?.displayAt.toISOString()).toBe(at.toISOString());
      expect(row?.publishedAt?.toISOString()).toBe(t.clock.now().toISOString());
      const audit = await restarted.db.select().from(auditLog).where(eq(auditLog.objectId, s.id));
      expect(audit.map((a) => a.action)).toContain('incident_update.published_late');
      // The promise counts from when it actually went out, not from the missed time.
      const [inc] = await restarted.db
        .select()
        .from(incidents)
        .where(eq(incidents.id, incident.id));
      expect(inc?.nextUpdateDueAt?.toISOString()).toBe(
        new Date(t.clock.now().getTime() + 15 * MIN).toISOString(),
      );
    } finally {
      await restarted.close();
    }
  });

  it('two schedulers on one database file publish each due update exactly once', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 2 });
    const at = new Date(t.clock.now().getTime() + MIN);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(
        (
          await scheduleIncidentUpdate(
            t.deps,
            { incidentId: incident.id, body: `update ${i}`, scheduledFor: at },
            testActor,
          )
        ).id,
      );
    }
    // Two real OS processes, each with its own libSQL connections, both up and waiting at their
    // first pass, then released together to race on one file.
    const reports = await (await readySchedulerProcesses(t.dbUrl, at, 2)).go();
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    const published = reports.flatMap((r) => r.published.map((p) => p.updateId)).sort();
    expect(published).toEqual([...ids].sort());
    const rows = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id));
    expect(rows.filter((r) => r.state === 'published')).toHaveLength(21);
    const audits = await t.deps.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, 'incident_update.publish_scheduled'));
    expect(audits).toHaveLength(20);
  });

  it('a scheduled update that would reopen a resolved incident is skipped, not published', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 2 });
    const at = new Date(t.clock.now().getTime() + 10 * MIN);
    const s = await scheduleIncidentUpdate(
      t.deps,
      { incidentId: incident.id, status: 'monitoring', body: 'watching', scheduledFor: at },
      testActor,
    );
    await resolveIncident(t.deps, { incidentId: incident.id }, testActor);
    t.clock.set(at);
    const report = await createScheduler(t.deps).runOnce();
    expect(report.published).toEqual([
      { updateId: s.id, incidentId: incident.id, late: false, skipped: 'incident_resolved' },
    ]);
    expect((await publicIncident(t, incident.id))?.status).toBe('resolved');
  });
});
