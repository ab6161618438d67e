import { afterEach, describe, expect, it } from 'vitest';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { scheduleIncidentUpdate } from '../../server/domain/incidents/schedule-update.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { useMailContext } from '../helpers/mail-context.ts';
import { testWorker } from '../helpers/outbox.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { declareOwnedIncident } from '../helpers/time-mail-setup.ts';

const MIN = 60_000;

describe('time-driven email through the outbox and a real SMTP server', () => {
  const ctx = useMailContext();
  afterEach(() => ctx.smtp.clear());

  it('maintenance notices reach subscribers of the affected components, with list headers and UTC times', async () => {
    const { t, smtp } = ctx;
    const db = await makeComponent(t.deps, { name: 'Database' });
    const other = await makeComponent(t.deps, { name: 'Other' });
    await makeConfirmedSubscriber(t.deps, 'all@example.org');
    await makeConfirmedSubscriber(t.deps, 'db@example.org', 'customers', [db.id]);
    await makeConfirmedSubscriber(t.deps, 'other@example.org', 'customers', [other.id]);
    const start = new Date('2026-11-22T02:00:00Z');
    await scheduleMaintenance(
      t.deps,
      {
        title: 'Database upgrade',
        description: 'We upgrade the primary database.',
        scheduledFor: start,
        scheduledUntil: new Date('2026-11-22T04:00:00Z'),
        componentIds: [db.id],
      },
      testActor,
    );
    await testWorker(t).drain();
    expect(smtp.received.flatMap((m) => m.to).sort()).toEqual([
      'all@example.org',
      'db@example.org',
    ]);
    const [mail] = smtp.to('db@example.org');
    expect(mail!.parsed.subject).toBe(
      'SCHEDULED MAINTENANCE: DATABASE UPGRADE, SUN 02:00-04:00 UTC',
    );
    expect(mail!.parsed.text).toContain(
      'When: Sun 22 Nov 2026, 02:00 UTC to Sun 22 Nov 2026, 04:00 UTC',
    );
    expect(mail!.parsed.text).toContain('We upgrade the primary database.');
    expect(mail!.parsed.text).toContain('https://status.example.com/maintenance.ics');
    expect(mail!.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');

    smtp.clear();
    for (const at of [start.getTime() - 60 * MIN, start.getTime()]) {
      t.clock.set(at);
      await createScheduler(t.deps).runOnce();
      await testWorker(t).drain();
    }
    expect(smtp.to('all@example.org').map((m) => m.parsed.subject)).toEqual([
      'MAINTENANCE REMINDER: DATABASE UPGRADE, SUN 02:00-04:00 UTC',
      'MAINTENANCE IN PROGRESS: DATABASE UPGRADE, UNTIL 04:00 UTC',
    ]);
    expect(smtp.to('other@example.org')).toHaveLength(0);
    const started = smtp
      .to('all@example.org')
      .find((m) => m.parsed.subject?.startsWith('MAINTENANCE IN PROGRESS'));
    expect(started!.parsed.text).toContain('The scheduled maintenance is now in progress.');
  });

  it('a scheduled P1 update is broadcast when it goes out, not when it is written', async () => {
    const { t, smtp } = ctx;
    t.clock.set('2026-11-23T09:00:00Z');
    await makeConfirmedSubscriber(t.deps, 'p1@example.org');
    const { incident } = await declareIncident(
      t.deps,
      { title: 'Checkout errors', priority: 1, body: 'Investigating.' },
      testActor,
    );
    await testWorker(t).drain();
    smtp.clear();
    const at = new Date(t.clock.now().getTime() + 10 * MIN);
    await scheduleIncidentUpdate(
      t.deps,
      {
        incidentId: incident.id,
        status: 'monitoring',
        body: 'Fix deployed at 09:10.',
        scheduledFor: at,
      },
      testActor,
    );
    await createScheduler(t.deps).runOnce();
    await testWorker(t).drain();
    const aboutCheckout = () =>
      smtp.to('p1@example.org').filter((m) => m.parsed.subject?.includes('Checkout'));
    expect(aboutCheckout()).toHaveLength(0);
    t.clock.set(at);
    await createScheduler(t.deps).runOnce();
    await testWorker(t).drain();
    const [mail] = aboutCheckout();
    expect(mail!.parsed.subject).toBe('Partial outage: Checkout errors');
    expect(mail!.parsed.text).toContain('Fix deployed at 09:10.');
  });

  it('the promise reminder goes to the owner with the one-click holding link', async () => {
    const { t, smtp } = ctx;
    const { incident } = await declareOwnedIncident(ctx, '2026-11-24T09:00:00Z', 'owner@acme.com', {
      title: 'Search down',
      priority: 0,
      body: 'Investigating.',
      nextUpdateInMinutes: 15,
    });
    t.clock.set('2026-11-24T09:10:00Z');
    await createScheduler(t.deps).runOnce();
    await testWorker(t).drain();
    const [mail, ...rest] = smtp.to('owner@acme.com');
    expect(rest).toHaveLength(0);
    expect(mail!.parsed.subject).toBe(
      'REMINDER: NEXT UPDATE DUE 09:15 UTC FOR PRIORITY 0: SEARCH DOWN',
    );
    expect(mail!.parsed.text).toContain(
      `https://status.example.com/admin/incidents/${incident.id}/holding`,
    );
  });

  it('a reminder whose promise was answered before it went out is not sent', async () => {
    const { t, smtp } = ctx;
    const { owner, incident } = await declareOwnedIncident(
      ctx,
      '2026-11-25T09:00:00Z',
      'busy@acme.com',
      { title: 'Webhooks slow', priority: 1, body: 'Investigating.' },
    );
    t.clock.set('2026-11-25T09:26:00Z');
    expect((await createScheduler(t.deps).runOnce()).reminders).toEqual([
      { incidentId: incident.id, sentTo: 'busy@acme.com' },
    ]);
    await postIncidentUpdate(
      t.deps,
      { incidentId: incident.id, body: 'Found it.', status: 'identified' },
      owner,
    );
    await testWorker(t).drain();
    expect(
      smtp.to('busy@acme.com').filter((m) => m.parsed.subject?.startsWith('REMINDER')),
    ).toHaveLength(0);
  });
});
