import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { addActionItem } from '../../server/domain/record/add-action-item.ts';
import { addRemediationItem } from '../../server/domain/record/add-remediation-item.ts';
import { updateActionItem } from '../../server/domain/record/update-action-item.ts';
import { updateRemediationItem } from '../../server/domain/record/update-remediation-item.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeUser } from './helpers.ts';

describe('the look back', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, LOOK_BACK_DAYS: '60' } });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('reviews a known history every 60 days: figures, once, to the admins only', async () => {
    const boss = await makeUser(t.deps, 'Boss', 'admin');
    const ana = await makeUser(t.deps, 'Ana');
    const at = (iso: string) => t.clock.set(iso);
    const run = async () => {
      const reports = await Promise.all([
        createScheduler(t.deps).runOnce(),
        createScheduler(t.deps).runOnce(),
      ]);
      expect(reports.flatMap((r) => r.errors)).toEqual([]);
      await testWorker(t).drain();
    };

    at('2026-09-20T12:00:00Z');
    await makeIncident(t.deps, { priority: 0, title: 'Before the period' });
    at('2026-10-01T00:00:00Z');
    await run(); // the baseline: no email
    expect(smtp.received).toHaveLength(0);

    // A: P0, started 10 min before its first update; both promises kept; all-clear after 55 min.
    at('2026-10-10T12:00:00Z');
    const a = (
      await makeIncident(t.deps, {
        priority: 0,
        title: 'A',
        startedAt: new Date('2026-10-10T11:50:00Z'),
        nextUpdateInMinutes: 30,
      })
    ).incident;
    at('2026-10-10T12:20:00Z');
    // The promise is named: a P0's default (15 minutes, from the settings) would lapse here.
    await postIncidentUpdate(
      t.deps,
      { incidentId: a.id, body: 'Still on it.', nextUpdateInMinutes: 30 },
      testActor,
    );
    at('2026-10-10T12:45:00Z');
    await resolveIncident(t.deps, { incidentId: a.id, body: 'Fixed.' }, testActor);
    const done = await addActionItem(
      t.deps,
      {
        incidentId: a.id,
        title: 'Done one',
        kind: 'prevent',
        ownerId: ana.id,
        dueAt: '2026-10-20T10:00:00Z',
        phase: 'after',
      },
      testActor,
    );
    await updateActionItem(t.deps, { itemId: done.id, state: 'done' }, testActor);
    await addActionItem(
      t.deps,
      {
        incidentId: a.id,
        title: 'Late one',
        kind: 'detect',
        ownerId: ana.id,
        dueAt: '2026-11-01T10:00:00Z',
        phase: 'after',
      },
      testActor,
    );
    await addRemediationItem(
      t.deps,
      { incidentId: a.id, what: 'Refund', affected: 'Two customers', priority: 1 },
      testActor,
    );

    // B: P1, first update 30 min after it started; both promises broken; all-clear after 2 h.
    at('2026-10-20T12:00:00Z');
    const b = (
      await makeIncident(t.deps, {
        priority: 1,
        title: 'B',
        startedAt: new Date('2026-10-20T11:30:00Z'),
        nextUpdateInMinutes: 15,
      })
    ).incident;
    at('2026-10-20T12:25:00Z');
    await postIncidentUpdate(t.deps, { incidentId: b.id, body: 'Late update.' }, testActor);
    at('2026-10-20T13:30:00Z');
    await resolveIncident(t.deps, { incidentId: b.id, body: 'Fixed.' }, testActor);
    const dropped = await addActionItem(
      t.deps,
      {
        incidentId: b.id,
        title: 'Dropped',
        kind: 'process',
        ownerId: ana.id,
        dueAt: '2026-11-20T10:00:00Z',
        phase: 'after',
      },
      testActor,
    );
    await updateActionItem(
      t.deps,
      { itemId: dropped.id, state: 'wont_do', reason: 'Obsolete' },
      testActor,
    );
    const rem = await addRemediationItem(
      t.deps,
      { incidentId: b.id, what: 'Resend', affected: 'All', priority: 2 },
      testActor,
    );
    await updateRemediationItem(t.deps, { itemId: rem.id, state: 'done' }, testActor);

    // C: P2, first update at once, still open. And a drill, which is not counted.
    at('2026-11-01T12:00:00Z');
    await makeIncident(t.deps, { priority: 2, title: 'C' });
    await makeIncident(t.deps, { priority: 0, title: 'Drill', isDrill: true });
    await testWorker(t).drain();
    smtp.clear();

    at('2026-11-29T23:59:00Z');
    await run();
    expect(smtp.to(boss.email)).toHaveLength(0);
    at('2026-11-30T00:00:00Z');
    await run();
    await run();
    // Action item reminders go to Ana; the look back goes to admins only.
    const reviews = smtp.received.filter((m) => m.parsed.subject?.startsWith('Incident look back'));
    expect(reviews.map((m) => m.to[0])).toEqual([boss.email]);
    const mail = reviews[0]!;
    expect(mail.parsed.subject).toBe('Incident look back: Oct 1, 2026 to Nov 30, 2026');
    for (const line of [
      'Incidents: 3 (P0 1, P1 1, P2 1, P3 0)',
      'Promised updates kept: 2 of 4 (50%)',
      'Median time from the start to the first update: 10 min',
      'Median time from the declaration to the second update: 23 min',
      'Median time to the all-clear: 88 min',
      "Action items: 1 done, 1 won't do, 1 open (1 overdue), of 3",
      'Remediation items still open: 1',
    ])
      expect(mail.parsed.text, line).toContain(line);

    const call = api(t, (await makeToken(t, 'admin')).secret);
    const r = await call.get('/api/admin/look-back');
    expect(r.json.past).toHaveLength(1);
    expect(r.json.past[0].figures).toMatchObject({
      incidents: 3,
      promises: { made: 4, kept: 2, broken: 2 },
      medianMinutesToFirstUpdate: 10,
      medianMinutesDeclarationToSecondUpdate: 22.5,
      medianMinutesToAllClear: 87.5,
    });
    const responder = api(t, (await makeToken(t, 'responder')).secret);
    expect((await responder.get('/api/admin/look-back')).status).toBe(403);
  });
});
