import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { nextWorkingDayAt10 } from '../../server/domain/record/follow-up-rules.ts';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { readySchedulerProcesses } from '../helpers/second-process.ts';
import { and, eq } from 'drizzle-orm';
import { broadcasts } from '../../db/schema/index.ts';

describe('the next-day follow-up', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let call: ReturnType<typeof api>;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    await updateSettings(t.deps, { timeZone: 'Europe/Berlin' }, testActor);
    call = api(t, (await makeToken(t, 'responder')).secret);
    await makeConfirmedSubscriber(t.deps, 'insider@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'customer@example.org', 'customers');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  it('is proposed for 10:00 on the next working day in the page’s time zone', () => {
    // Friday evening in Berlin: Monday 10:00 CET.
    expect(
      nextWorkingDayAt10(new Date('2026-11-20T17:00:00Z'), 'Europe/Berlin').toISOString(),
    ).toBe('2026-11-23T09:00:00.000Z');
    // Saturday: Monday. Just after midnight in Berlin (still Tuesday in UTC): Thursday.
    expect(nextWorkingDayAt10(new Date('2026-11-21T12:00:00Z'), 'Etc/UTC').toISOString()).toBe(
      '2026-11-23T10:00:00.000Z',
    );
    expect(
      nextWorkingDayAt10(new Date('2026-11-24T23:30:00Z'), 'Europe/Berlin').toISOString(),
    ).toBe('2026-11-26T09:00:00.000Z');
    // Summer time: 10:00 CEST is 08:00 UTC.
    expect(
      nextWorkingDayAt10(new Date('2026-07-01T12:00:00Z'), 'Europe/Berlin').toISOString(),
    ).toBe('2026-07-02T08:00:00.000Z');
  });

  it('goes out once at its time, to the incident’s audience, with its subject', async () => {
    t.clock.set('2026-11-20T16:00:00Z'); // Friday
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Checkout down' });
    t.clock.set('2026-11-20T17:00:00Z');
    await resolveIncident(t.deps, { incidentId: incident.id, body: 'All clear.' }, testActor);
    await testWorker(t).drain();
    smtp.clear();

    // Shown the moment it resolves, before any scheduler pass.
    const proposal = await call.get(`/api/admin/incidents/${incident.id}/follow-up`);
    expect(proposal.json.followUp).toMatchObject({
      proposed: true,
      state: 'scheduled',
      scheduledFor: '2026-11-23T09:00:00.000Z',
    });
    expect(proposal.json.followUp.body).toContain('Checkout down');

    const a = createScheduler(t.deps);
    const b = createScheduler(t.deps);
    await a.runOnce();
    t.clock.set('2026-11-23T08:59:00Z');
    await Promise.all([a.runOnce(), b.runOnce()]);
    await testWorker(t).drain();
    expect(smtp.received).toHaveLength(0);

    t.clock.set('2026-11-23T09:00:00Z');
    await Promise.all([a.runOnce(), b.runOnce()]);
    await a.runOnce();
    await testWorker(t).drain();
    const subjects = smtp.received.map((m) => [m.to[0], m.parsed.subject]);
    expect(subjects.sort()).toEqual([
      ['customer@example.org', 'Follow-up: Checkout down'],
      ['insider@acme.com', 'PRIORITY 1 ISSUE FOLLOW-UP: CHECKOUT DOWN'],
    ]);
    expect(smtp.received[0]!.parsed.text).toContain('A follow-up on "Checkout down"');

    t.clock.set('2026-11-24T09:00:00Z');
    await a.runOnce();
    await testWorker(t).drain();
    expect(smtp.received).toHaveLength(2);
    const board = await call.get('/api/admin/follow-ups');
    expect(board.json.sent.map((f: { incidentId: string }) => f.incidentId)).toContain(incident.id);
    expect(
      (
        await call.post(`/api/admin/incidents/${incident.id}/follow-up`, {
          scheduledFor: '2026-11-25T09:00:00Z',
          body: 'Again',
        })
      ).status,
    ).toBe(409);
  });

  it('takes edited text and time, and a skipped one never goes out', async () => {
    t.clock.set('2026-11-24T12:00:00Z'); // Tuesday
    const edited = (await makeIncident(t.deps, { priority: 0, title: 'Edited' })).incident;
    const skipped = (await makeIncident(t.deps, { priority: 1, title: 'Skipped' })).incident;
    await resolveIncident(t.deps, { incidentId: edited.id, body: 'Fixed.' }, testActor);
    await resolveIncident(t.deps, { incidentId: skipped.id, body: 'Fixed.' }, testActor);
    await testWorker(t).drain();
    smtp.clear();
    const set = await call.post(`/api/admin/incidents/${edited.id}/follow-up`, {
      scheduledFor: '2026-11-25T14:00:00Z',
      body: 'Here is what we changed.',
    });
    expect(set.status).toBe(200);
    expect(set.json.followUp).toMatchObject({ state: 'scheduled', edited: true });
    expect(
      (await call.del(`/api/admin/incidents/${skipped.id}/follow-up`)).json.followUp.state,
    ).toBe('skipped');
    const s = createScheduler(t.deps);
    t.clock.set('2026-11-25T09:00:00Z'); // the proposal's time: nothing (edited to 14:00, other skipped)
    await s.runOnce();
    await testWorker(t).drain();
    expect(smtp.received).toHaveLength(0);
    t.clock.set('2026-11-25T14:00:00Z');
    await s.runOnce();
    await testWorker(t).drain();
    expect(new Set(smtp.received.map((m) => m.parsed.subject))).toEqual(
      new Set(['PRIORITY 0 ISSUE FOLLOW-UP: EDITED', 'Follow-up: Edited']),
    );
    expect(smtp.received[0]!.parsed.text).toContain('Here is what we changed.');
    const board = await call.get('/api/admin/follow-ups');
    expect(board.json.skipped.map((f: { incidentId: string }) => f.incidentId)).toContain(
      skipped.id,
    );
  });

  it('refuses bad input: unresolved, P2, a time in the past or unreadable', async () => {
    t.clock.set('2026-11-26T12:00:00Z');
    const open = (await makeIncident(t.deps, { priority: 1 })).incident;
    const p2 = (await makeIncident(t.deps, { priority: 2 })).incident;
    await resolveIncident(t.deps, { incidentId: p2.id, body: 'ok' }, testActor);
    const body = { scheduledFor: '2026-11-27T09:00:00Z', body: 'x' };
    expect((await call.post(`/api/admin/incidents/${open.id}/follow-up`, body)).status).toBe(409);
    expect((await call.post(`/api/admin/incidents/${p2.id}/follow-up`, body)).status).toBe(409);
    expect((await call.get(`/api/admin/incidents/${p2.id}/follow-up`)).json.followUp).toBeNull();
    await resolveIncident(t.deps, { incidentId: open.id, body: 'ok' }, testActor);
    const past = await call.post(`/api/admin/incidents/${open.id}/follow-up`, {
      ...body,
      scheduledFor: '2026-11-25T09:00:00Z',
    });
    expect(past.status).toBe(422);
    expect(past.json.error.fields).toHaveProperty('scheduledFor');
    const garbled = await call.post(`/api/admin/incidents/${open.id}/follow-up`, {
      ...body,
      scheduledFor: 'tomorrow 10am',
    });
    expect(garbled.status).toBe(422);
    expect(garbled.json.error.fields).toHaveProperty('scheduledFor');
  });

  it('goes out once when two Herald processes and this one run the scheduler at its time', async () => {
    t.clock.set('2026-12-03T12:00:00Z'); // Thursday
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Two processes' });
    await resolveIncident(t.deps, { incidentId: incident.id, body: 'Fixed.' }, testActor);
    await createScheduler(t.deps).runOnce(); // writes the proposal: Friday 10:00 Berlin
    const at = new Date('2026-12-04T09:00:00Z');
    t.clock.set(at);
    // Both processes up and waiting at their first pass, then released together with this one.
    const ready = await readySchedulerProcesses(t.dbUrl, at, 2, 2);
    const [reports] = await Promise.all([ready.go(), createScheduler(t.deps).runOnce()]);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    const rows = await t.deps.db
      .select()
      .from(broadcasts)
      .where(
        and(eq(broadcasts.incidentId, incident.id), eq(broadcasts.kind, 'incident_follow_up')),
      );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.subject).toBe('PRIORITY 0 ISSUE FOLLOW-UP: TWO PROCESSES');
    smtp.clear();
    await testWorker(t).drain();
    expect(
      smtp.received.filter((m) =>
        ['PRIORITY 0 ISSUE FOLLOW-UP: TWO PROCESSES', 'Follow-up: Two processes'].includes(
          m.parsed.subject ?? '',
        ),
      ),
    ).toHaveLength(2);
  });
});
