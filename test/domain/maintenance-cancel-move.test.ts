import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, maintenances, subscribers } from '../../db/schema/index.ts';
import { createApiToken } from '../../server/domain/auth/api-tokens.ts';
import { cancelMaintenance } from '../../server/domain/maintenance/cancel-maintenance.ts';
import { moveMaintenance } from '../../server/domain/maintenance/move-maintenance.ts';
import { runDueMaintenances } from '../../server/domain/maintenance/run-due-maintenances.ts';
import { applyStart } from '../../server/domain/maintenance/start-maintenance.ts';
import { systemActor } from '../../server/domain/shared/actor.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext, testActor } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { openSecondDeps } from '../helpers/second-process.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

describe('cancelling and moving a planned maintenance window', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  beforeEach(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url } });
  });
  afterEach(async () => {
    await t.close();
    await smtp.close();
  });

  async function subscribe(email: string, language = 'en') {
    const s = await makeConfirmedSubscriber(t.deps, email);
    await t.deps.db.update(subscribers).set({ language }).where(eq(subscribers.id, s.id));
  }

  async function planWindow(componentIds: string[] = []) {
    const start = new Date(t.clock.now().getTime() + 2 * DAY);
    return scheduleMaintenance(
      t.deps,
      {
        title: 'Database upgrade',
        description: 'We upgrade the primary database.',
        scheduledFor: start,
        scheduledUntil: new Date(start.getTime() + 2 * HOUR),
        componentIds,
      },
      testActor,
    );
  }

  async function responder() {
    return api(t, (await makeToken(t, 'responder')).secret);
  }

  async function status(id: string) {
    const [m] = await t.deps.db.select().from(maintenances).where(eq(maintenances.id, id));
    return m?.status;
  }

  it('a window cancelled before anyone was mailed never starts, and nobody gets mail about it', async () => {
    const web = await makeComponent(t.deps, { name: 'Website' });
    await subscribe('ann@example.org');
    const m = await planWindow([web.id]);
    const r = await (await responder()).post(`/api/admin/maintenance/${m.id}/cancel`);
    expect(r.status).toBe(200);
    expect(r.json.maintenance.status).toBe('cancelled');

    const upcoming = await (
      await t.app.request('/api/v2/scheduled-maintenances/upcoming.json')
    ).json();
    expect(upcoming.scheduled_maintenances).toEqual([]);
    const all = await (await t.app.request('/api/v2/scheduled-maintenances.json')).json();
    expect(all.scheduled_maintenances).toEqual([]);

    t.clock.set(m.scheduledFor);
    expect((await createScheduler(t.deps).runOnce()).maintenance).toEqual([]);
    t.clock.set(m.scheduledUntil);
    expect((await createScheduler(t.deps).runOnce()).maintenance).toEqual([]);
    expect(await status(m.id)).toBe('cancelled');
    const components = await (await t.app.request('/api/v2/components.json')).json();
    expect(components.components[0].status).toBe('operational');
    // The announcement still queued when it was called off is not sent, and no cancellation is.
    await testWorker(t).drain();
    expect(smtp.received).toEqual([]);
    const audits = await t.deps.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, 'maintenance.cancel'));
    expect(audits.map((a) => a.objectId)).toEqual([m.id]);
  });

  it('subscribers who were told of a window get exactly one cancellation in their language, and the calendar drops it', async () => {
    await subscribe('ann@example.org');
    await subscribe('jan@example.org', 'de');
    const m = await planWindow();
    const outbox = testWorker(t);
    await outbox.drain();
    expect(smtp.received).toHaveLength(2);
    const ics = async () => (await t.app.request('/maintenance.ics')).text();
    const before = await ics();
    expect(before).toContain('STATUS:CONFIRMED');
    expect(before).toContain('SEQUENCE:1');

    await cancelMaintenance(t.deps, { maintenanceId: m.id, body: 'A change freeze.' }, testActor);
    await outbox.drain();
    await outbox.drain();
    const cancels = smtp.received.slice(2);
    expect(cancels.map((c) => c.to[0]).sort()).toEqual(['ann@example.org', 'jan@example.org']);
    const ann = cancels.find((c) => c.to[0] === 'ann@example.org')!;
    const jan = cancels.find((c) => c.to[0] === 'jan@example.org')!;
    expect(ann.parsed.subject).toMatch(/^MAINTENANCE CANCELLED: DATABASE UPGRADE, /);
    expect(ann.parsed.text).toContain('This maintenance will not take place.');
    expect(ann.parsed.text).toContain('A change freeze.');
    expect(jan.parsed.subject).toMatch(/^WARTUNG ABGESAGT: DATABASE UPGRADE, /);
    expect(jan.parsed.text).toContain('Diese Wartung findet nicht statt.');

    const after = await ics();
    const uid = (s: string) => s.match(/UID:(.+)/)?.[1];
    expect(uid(after)).toBe(uid(before));
    expect(after).toContain('STATUS:CANCELLED');
    expect(after).toContain('SEQUENCE:2');

    t.clock.set(m.scheduledFor);
    expect((await createScheduler(t.deps).runOnce()).maintenance).toEqual([]);
    await outbox.drain();
    expect(smtp.received).toHaveLength(4);
  });

  it('a moved window starts at its new time, not the old one, and those told get one notice with the new times', async () => {
    await subscribe('ann@example.org');
    const m = await planWindow();
    const outbox = testWorker(t);
    await outbox.drain();
    const from = new Date(m.scheduledFor.getTime() + DAY + HOUR);
    const until = new Date(from.getTime() + 3 * HOUR);
    const before = await (await t.app.request('/maintenance.ics')).text();
    const r = await (
      await responder()
    ).post(`/api/admin/maintenance/${m.id}/move`, {
      scheduledFor: from.toISOString(),
      scheduledUntil: until.toISOString(),
    });
    expect(r.status).toBe(200);
    expect(r.json.maintenance.scheduledFor).toBe(from.toISOString());
    await outbox.drain();
    expect(smtp.received).toHaveLength(2);
    const moved = smtp.received[1]!;
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    expect(moved.parsed.subject).toContain('MAINTENANCE MOVED: DATABASE UPGRADE, ');
    expect(moved.parsed.subject).toContain(`${hhmm(from)}-${hhmm(until)} UTC`);
    expect(moved.parsed.text).toContain('This maintenance has moved to a new time:');

    const after = await (await t.app.request('/maintenance.ics')).text();
    const uid = (s: string) => s.match(/UID:(.+)/)?.[1];
    expect(uid(after)).toBe(uid(before));
    expect(after).toContain('SEQUENCE:2');

    t.clock.set(m.scheduledFor);
    const scheduler = createScheduler(t.deps);
    expect((await scheduler.runOnce()).maintenance).toEqual([]);
    expect(await status(m.id)).toBe('scheduled');
    t.clock.set(from);
    expect((await scheduler.runOnce()).maintenance).toEqual([
      { maintenanceId: m.id, step: 'start', late: false },
    ]);
  });

  it('a started window cannot be cancelled or moved: the answer says to complete or extend it', async () => {
    const m = await planWindow();
    t.clock.set(m.scheduledFor);
    await createScheduler(t.deps).runOnce();
    const client = await responder();
    const cancel = await client.post(`/api/admin/maintenance/${m.id}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.json.error.message).toMatch(/already started.*complete it now or extend it/);
    const move = await client.post(`/api/admin/maintenance/${m.id}/move`, {
      scheduledFor: new Date(m.scheduledFor.getTime() + DAY).toISOString(),
      scheduledUntil: new Date(m.scheduledFor.getTime() + DAY + HOUR).toISOString(),
    });
    expect(move.status).toBe(409);
    expect(move.json.error.message).toMatch(/complete it now or extend it/);
    expect(await status(m.id)).toBe('in_progress');
  });

  it('a move must start in the future and end after it; nothing changes otherwise', async () => {
    const m = await planWindow();
    const client = await responder();
    const past = await client.post(`/api/admin/maintenance/${m.id}/move`, {
      scheduledFor: new Date(t.clock.now().getTime() - HOUR).toISOString(),
      scheduledUntil: new Date(t.clock.now().getTime() + HOUR).toISOString(),
    });
    expect(past.status).toBe(422);
    const backwards = await client.post(`/api/admin/maintenance/${m.id}/move`, {
      scheduledFor: new Date(t.clock.now().getTime() + 3 * DAY).toISOString(),
      scheduledUntil: new Date(t.clock.now().getTime() + 3 * DAY - HOUR).toISOString(),
    });
    expect(backwards.status).toBe(422);
    const [row] = await t.deps.db.select().from(maintenances).where(eq(maintenances.id, m.id));
    expect(row?.scheduledFor).toEqual(m.scheduledFor);
  });

  it('a viewer cannot cancel or move a window', async () => {
    const m = await planWindow();
    const { secret } = await createApiToken(t.deps, { name: 'viewer', role: 'viewer' }, testActor);
    const viewer = api(t, secret);
    expect((await viewer.post(`/api/admin/maintenance/${m.id}/cancel`)).status).toBe(403);
    const move = await viewer.post(`/api/admin/maintenance/${m.id}/move`, {
      scheduledFor: new Date(m.scheduledFor.getTime() + DAY).toISOString(),
      scheduledUntil: new Date(m.scheduledFor.getTime() + DAY + HOUR).toISOString(),
    });
    expect(move.status).toBe(403);
    expect(await status(m.id)).toBe('scheduled');
  });

  it('a scheduler that listed a window before it was cancelled or moved elsewhere does not start it', async () => {
    const cancelled = await planWindow();
    const moved = await planWindow();
    const other = await openSecondDeps(t);
    try {
      t.clock.set(cancelled.scheduledFor);
      // The other process has listed both as due; then the PM acts, then its claims run.
      await cancelMaintenance(t.deps, { maintenanceId: cancelled.id }, testActor);
      await moveMaintenance(
        t.deps,
        {
          maintenanceId: moved.id,
          scheduledFor: new Date(moved.scheduledFor.getTime() + DAY),
          scheduledUntil: new Date(moved.scheduledUntil.getTime() + DAY),
        },
        testActor,
      );
      const now = t.clock.now();
      for (const w of [cancelled, moved]) {
        const claimed = await other.db.transaction((tx) =>
          applyStart(tx, other.config, w.id, now, systemActor, { due: true }),
        );
        expect(claimed).toBeNull();
      }
      expect(await status(cancelled.id)).toBe('cancelled');
      expect(await status(moved.id)).toBe('scheduled');
    } finally {
      await other.close();
    }
  });
});
