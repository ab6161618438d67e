import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { incidents, incidentUpdates, outboxMessages, users } from '../../db/schema/index.ts';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import { postHoldingUpdate } from '../../server/domain/incidents/holding-update.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import {
  HOLDING_BODY,
  promiseReport,
  promiseState,
} from '../../server/domain/incidents/promise.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import type { Actor } from '../../server/domain/shared/actor.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeUserActor } from '../helpers/factories.ts';
import { readySchedulerProcesses } from '../helpers/second-process.ts';

const MIN = 60_000;

const makeOwner = (t: TestContext) => makeUserActor(t.deps, 'pm@example.com');

describe('the next-update promise', () => {
  let t: TestContext;
  let pm: Actor;
  beforeEach(async () => {
    t = await createTestContext();
    pm = await makeOwner(t);
  });
  afterEach(() => t.close());

  const reminders = (t: TestContext) =>
    t.deps.db.select().from(outboxMessages).where(eq(outboxMessages.kind, 'promise_reminder'));

  it('reminds the owner once, five minutes before the promise lapses, with a link to the holding update', async () => {
    const start = t.clock.now().getTime();
    const { incident } = await declareIncident(
      t.deps,
      { title: 'Checkout down', priority: 1, body: 'Investigating.' },
      pm,
    );
    expect(incident.nextUpdateDueAt?.getTime()).toBe(start + 30 * MIN);
    const scheduler = createScheduler(t.deps);

    t.clock.set(start + 24 * MIN);
    await scheduler.runOnce();
    expect(await reminders(t)).toHaveLength(0);

    t.clock.set(start + 25 * MIN);
    expect((await scheduler.runOnce()).reminders).toEqual([
      { incidentId: incident.id, sentTo: 'pm@example.com' },
    ]);
    await scheduler.runOnce();
    const [mail, ...more] = await reminders(t);
    expect(more).toHaveLength(0);
    expect(mail?.toAddress).toBe('pm@example.com');
    expect(mail?.payload).toEqual({
      incidentId: incident.id,
      dueAt: new Date(start + 30 * MIN).toISOString(),
    });

    // A new update makes a new promise, which gets its own reminder.
    t.clock.set(start + 27 * MIN);
    await postIncidentUpdate(
      t.deps,
      { incidentId: incident.id, body: 'Found it.', status: 'identified', nextUpdateInMinutes: 15 },
      pm,
    );
    t.clock.set(start + 37 * MIN);
    await scheduler.runOnce();
    expect(await reminders(t)).toHaveLength(2);
  });

  it('reminds the people on duty instead of an owner whose account is disabled', async () => {
    const start = t.clock.now().getTime();
    // Nobody is put on duty, so every active admin is.
    await makeUserActor(t.deps, 'duty@example.com', 'admin');
    const { incident } = await declareIncident(
      t.deps,
      { title: 'Checkout down', priority: 1, body: 'Investigating.' },
      pm,
    );
    await t.deps.db.update(users).set({ disabledAt: t.clock.now() }).where(eq(users.id, pm.id!));
    t.clock.set(start + 25 * MIN);
    expect((await createScheduler(t.deps).runOnce()).reminders).toEqual([
      { incidentId: incident.id, sentTo: 'duty@example.com' },
    ]);
    expect((await reminders(t)).map((m) => m.toAddress)).toEqual(['duty@example.com']);
  });

  it('a lapsed promise shows overdue and Herald posts nothing itself when automatic holding updates are off', async () => {
    const start = t.clock.now().getTime();
    const { incident } = await declareIncident(
      t.deps,
      { title: 'Slow', priority: 0, body: 'Investigating.', nextUpdateInMinutes: 15 },
      pm,
    );
    t.clock.set(start + 16 * MIN);
    const report = await createScheduler(t.deps).runOnce();
    expect(report.holding).toEqual([]);
    const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(promiseState(row!, t.clock.now())).toEqual({ state: 'overdue', msLeft: -MIN });
    const updates = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id));
    expect(updates).toHaveLength(1);
    expect(promiseReport(updates, t.clock.now())).toMatchObject({
      promises: 1,
      kept: 0,
      broken: 1,
      allKept: false,
      maxLateMs: MIN,
    });
  });

  it('with automatic holding updates on, Herald posts the holding update once when the promise lapses, and promises the next', async () => {
    const start = t.clock.now().getTime();
    const { incident } = await declareIncident(
      t.deps,
      { title: 'Login failing', priority: 1, body: 'Investigating.', autoHolding: true },
      pm,
    );
    const scheduler = createScheduler(t.deps);
    t.clock.set(start + 30 * MIN - 1);
    expect((await scheduler.runOnce()).holding).toEqual([]);
    t.clock.set(start + 30 * MIN);
    const [posted] = (await scheduler.runOnce()).holding;
    expect(posted?.incidentId).toBe(incident.id);
    expect((await scheduler.runOnce()).holding).toEqual([]);

    const [u] = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(and(eq(incidentUpdates.incidentId, incident.id), eq(incidentUpdates.automatic, true)));
    expect(u).toMatchObject({
      body: HOLDING_BODY,
      state: 'published',
      notify: true,
      statusChanged: false,
    });
    expect(u?.nextUpdateDueAt?.getTime()).toBe(start + 60 * MIN);
    const pub = await (await t.app.request('/api/v2/incidents/unresolved.json')).json();
    expect(pub.incidents[0].incident_updates[0].body).toBe(
      'Nothing to update. Still investigating. Next update in 30 minutes.',
    );
    expect(pub.incidents[0].next_update_at).toBe(new Date(start + 60 * MIN).toISOString());
  });

  it('two Herald processes post one holding update for one lapsed promise', async () => {
    const start = t.clock.now().getTime();
    const { incident } = await declareIncident(
      t.deps,
      { title: 'Login failing', priority: 1, body: 'Investigating.', autoHolding: true },
      pm,
    );
    const at = new Date(start + 31 * MIN);
    // Both up and waiting at their first pass, then released together.
    const reports = await (await readySchedulerProcesses(t.dbUrl, at, 2)).go();
    expect(reports.flatMap((r) => r.holding)).toHaveLength(1);
    const automatic = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(and(eq(incidentUpdates.incidentId, incident.id), eq(incidentUpdates.automatic, true)));
    expect(automatic).toHaveLength(1);
  });

  it('resolving ends the promise: no reminder, no holding update afterwards', async () => {
    const start = t.clock.now().getTime();
    const { incident } = await declareIncident(
      t.deps,
      { title: 'Blip', priority: 1, body: 'Investigating.', autoHolding: true },
      pm,
    );
    t.clock.set(start + 10 * MIN);
    await resolveIncident(t.deps, { incidentId: incident.id }, pm);
    t.clock.set(start + 2 * 60 * MIN);
    const report = await createScheduler(t.deps).runOnce();
    expect(report.reminders).toEqual([]);
    expect(report.holding).toEqual([]);
    const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row?.nextUpdateDueAt).toBeNull();
    expect(promiseState(row!, t.clock.now()).state).toBe('none');
  });

  it('the one-click holding update keeps the promise and makes a new one', async () => {
    const start = t.clock.now().getTime();
    const { incident } = await declareIncident(
      t.deps,
      { title: 'Search down', priority: 1, body: 'Investigating.' },
      pm,
    );
    t.clock.set(start + 28 * MIN);
    await postHoldingUpdate(t.deps, { incidentId: incident.id }, pm);
    t.clock.set(start + 70 * MIN);
    await postIncidentUpdate(
      t.deps,
      { incidentId: incident.id, body: 'Fixed the index.', status: 'monitoring' },
      pm,
    );
    const updates = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id));
    const report = promiseReport(updates, t.clock.now());
    expect(report.entries.map((e) => [e.kept, e.lateByMs])).toEqual([
      [true, 0],
      [false, 12 * MIN],
      [null, 0],
    ]);
    expect(report).toMatchObject({
      promises: 3,
      kept: 1,
      broken: 1,
      allKept: false,
      maxLateMs: 12 * MIN,
    });
  });
});
