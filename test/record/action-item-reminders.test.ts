import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addActionItem } from '../../server/domain/record/add-action-item.ts';
import { updateActionItem } from '../../server/domain/record/update-action-item.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeUser } from './helpers.ts';

const HOUR = 60 * 60_000;

describe('action item reminders', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let ana: Awaited<ReturnType<typeof makeUser>>;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url } });
    ana = await makeUser(t.deps, 'Ana');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  async function tick(n = 1) {
    const a = createScheduler(t.deps);
    const b = createScheduler(t.deps);
    for (let i = 0; i < n; i++) await Promise.all([a.runOnce(), b.runOnce()]);
    await testWorker(t).drain();
  }

  it('reminds the owner a day before the due date and once it passes, once each', async () => {
    t.clock.set('2026-11-21T12:00:00Z');
    const { incident } = await makeIncident(t.deps, { title: 'Checkout down' });
    await addActionItem(
      t.deps,
      {
        incidentId: incident.id,
        title: 'Add an index check to CI',
        kind: 'prevent',
        ownerId: ana.id,
        dueAt: '2026-11-25T10:00:00Z',
        phase: 'after',
      },
      testActor,
    );
    await tick();
    expect(smtp.received).toHaveLength(0);

    t.clock.set('2026-11-24T09:59:00Z');
    await tick();
    expect(smtp.received).toHaveLength(0);
    t.clock.set('2026-11-24T10:00:00Z');
    await tick(3);
    expect(smtp.to(ana.email).map((m) => m.parsed.subject)).toEqual([
      'ACTION ITEM DUE NOV 25, 10:00 UTC: Add an index check to CI',
    ]);
    const before = smtp.to(ana.email)[0]!;
    expect(before.parsed.text).toContain('"Checkout down"');
    expect(before.parsed.text).toContain(
      `https://status.example.com/admin/incidents/${incident.id}#record`,
    );

    smtp.clear();
    t.clock.set('2026-11-25T09:00:00Z');
    await tick();
    expect(smtp.received).toHaveLength(0);
    t.clock.set('2026-11-25T10:00:00Z');
    await tick(3);
    t.clock.advance(48 * HOUR);
    await tick(2);
    expect(smtp.to(ana.email).map((m) => m.parsed.subject)).toEqual([
      'ACTION ITEM OVERDUE: Add an index check to CI',
    ]);
  });

  it('sends nothing for a closed item, and a new due date earns new reminders', async () => {
    t.clock.set('2026-12-01T12:00:00Z');
    const { incident } = await makeIncident(t.deps);
    const closed = await addActionItem(
      t.deps,
      {
        incidentId: incident.id,
        title: 'Closed one',
        kind: 'detect',
        ownerId: ana.id,
        dueAt: '2026-12-03T12:00:00Z',
        phase: 'after',
      },
      testActor,
    );
    const moved = await addActionItem(
      t.deps,
      {
        incidentId: incident.id,
        title: 'Moved one',
        kind: 'process',
        ownerId: ana.id,
        dueAt: '2026-12-03T12:00:00Z',
        phase: 'after',
      },
      testActor,
    );
    await updateActionItem(t.deps, { itemId: closed.id, state: 'done' }, testActor);
    t.clock.set('2026-12-02T12:00:00Z');
    await tick();
    expect(smtp.received.map((m) => m.parsed.subject)).toEqual([
      'ACTION ITEM DUE DEC 3, 12:00 UTC: Moved one',
    ]);
    smtp.clear();
    await updateActionItem(t.deps, { itemId: moved.id, dueAt: '2026-12-10T12:00:00Z' }, testActor);
    t.clock.set('2026-12-03T12:00:00Z'); // the old date: nothing
    await tick();
    expect(smtp.received).toHaveLength(0);
    t.clock.set('2026-12-09T12:00:00Z');
    await tick();
    expect(smtp.received.map((m) => m.parsed.subject)).toEqual([
      'ACTION ITEM DUE DEC 10, 12:00 UTC: Moved one',
    ]);
  });

  it('does not nag a short during-the-fire item a day ahead, but says when it is overdue', async () => {
    t.clock.set('2026-12-20T14:00:00Z');
    const { incident } = await makeIncident(t.deps);
    await addActionItem(
      t.deps,
      {
        incidentId: incident.id,
        title: 'roll back deploy 4711',
        kind: 'mitigate',
        ownerId: ana.id,
        dueAt: '2026-12-20T14:20:00Z',
        phase: 'during',
      },
      testActor,
    );
    // Earlier tests' items go overdue meanwhile; only this one's mail is looked at.
    const mine = () =>
      smtp.received.map((m) => m.parsed.subject).filter((s) => s?.includes('4711'));
    await tick();
    expect(mine()).toEqual([]);
    t.clock.set('2026-12-20T14:21:00Z');
    await tick();
    expect(mine()).toEqual(['ACTION ITEM OVERDUE: roll back deploy 4711']);
  });
});
