import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeUserActor } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { scheduleOrStartDrill } from '../../server/domain/drills/schedule-drill.ts';
import { setOnDuty } from '../../server/domain/reports/update-triage-settings.ts';
import { updateUser } from '../../server/domain/users/update-user.ts';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

// A drill "runs the whole flow": the team logs changes with a reviewer and action items, as in
// a real fire. The mail those send is team mail about a practice incident.
describe('mail about a drill says it is a drill', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let admin: ReturnType<typeof api>;
  let drillIncidentId: string;
  let ben: Awaited<ReturnType<typeof makeUserActor>>;
  let ana: Awaited<ReturnType<typeof makeUserActor>>;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    admin = api(t, (await makeToken(t, 'admin')).secret);
    ana = await makeUserActor(t.deps, 'ana@acme.com');
    ben = await makeUserActor(t.deps, 'ben@acme.com');
    const res = await admin.post('/api/admin/drills', {
      title: 'Orders database drill',
      scenario: 'Practice: the orders primary stops taking writes.',
      priority: 1,
      participantIds: [ana.id!, ben.id!],
    });
    expect(res.status).toBe(201);
    drillIncidentId = res.json.incidentId;
    await testWorker(t).drain();
    smtp.clear();
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  it('the review request for a change logged during a drill is marked [DRILL]', async () => {
    const res = await admin.post(`/api/admin/incidents/${drillIncidentId}/changes`, {
      what: 'UPDATE orders SET state = 2 WHERE id IN (...)',
      target: 'orders-db primary',
      ranById: ana.id,
      reviewerId: ben.id,
      backupTaken: true,
      recordsTouched: 12,
      triedOnSample: true,
    });
    expect(res.status).toBe(201);
    await testWorker(t).drain();
    const [mail] = smtp.to('ben@acme.com');
    expect(mail!.parsed.subject).toMatch(/^\[DRILL\] REVIEW REQUESTED/);
    expect(mail!.parsed.text).toMatch(/^\[DRILL\] This is a practice incident\./);
    expect(mail!.parsed.html).toContain('[DRILL] This is a practice incident.');
  });

  it("an action item's reminder from a drill is marked [DRILL]", async () => {
    const res = await admin.post(`/api/admin/incidents/${drillIncidentId}/action-items`, {
      title: 'Add a replica lag alert',
      kind: 'detect',
      ownerId: ana.id,
      dueAt: new Date(t.clock.now().getTime() + 3 * DAY).toISOString(),
      phase: 'after',
    });
    expect(res.status).toBe(201);
    t.clock.advance(3 * DAY + 60_000);
    await createScheduler(t.deps).runOnce();
    await testWorker(t).drain();
    const [mail] = smtp.to('ana@acme.com').filter((m) => m.parsed.subject?.includes('ACTION ITEM'));
    expect(mail).toBeDefined();
    expect(mail!.parsed.subject).toMatch(/^\[DRILL\] ACTION ITEM OVERDUE/);
    expect(mail!.parsed.text).toMatch(/^\[DRILL\] This is a practice incident\./);
    expect(mail!.parsed.html).toContain('[DRILL] This is a practice incident.');
  });
});

// A drill's incident has no owner. Its promise reminders belong to the people practising, not to
// whoever is really on duty: they would get "NEXT UPDATE DUE" for a pretend incident.
describe("a drill's promise reminder goes to the drill's people, never to the on-duty", () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let admin: ReturnType<typeof api>;
  let ana: Awaited<ReturnType<typeof makeUserActor>>;
  let ben: Awaited<ReturnType<typeof makeUserActor>>;
  beforeEach(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    admin = api(t, (await makeToken(t, 'admin')).secret);
    ana = await makeUserActor(t.deps, 'ana@acme.com');
    ben = await makeUserActor(t.deps, 'ben@acme.com');
    const duty = await makeUserActor(t.deps, 'oncall@acme.com');
    await setOnDuty(t.deps, { userId: duty.id!, onDuty: true }, testActor);
  });
  afterEach(async () => {
    await t.close();
    await smtp.close();
  });

  const drill = { title: 'Orders database drill', scenario: 'Practice: writes stop.', priority: 1 };

  /** Runs the scheduler at five minutes before the drill's first promise and sends the mail. */
  async function remindersOf(incidentId: string) {
    await testWorker(t).drain();
    smtp.clear();
    t.clock.advance(25 * MIN);
    const { reminders } = await createScheduler(t.deps).runOnce();
    await testWorker(t).drain();
    expect(reminders.map((r) => r.incidentId)).toEqual([incidentId]);
    return smtp.received.filter((m) => m.parsed.subject?.includes('REMINDER'));
  }
  const recipients = (mails: { to: string[] }[]) => mails.flatMap((m) => m.to).sort();

  it('goes to each participant, marked [DRILL], and not to the person on duty', async () => {
    const res = await admin.post('/api/admin/drills', {
      ...drill,
      participantIds: [ana.id!, ben.id!],
    });
    expect(res.status).toBe(201);
    const mails = await remindersOf(res.json.incidentId);
    expect(recipients(mails)).toEqual(['ana@acme.com', 'ben@acme.com']);
    for (const m of mails) {
      expect(m.parsed.subject).toMatch(/^\[DRILL\] REMINDER: NEXT UPDATE DUE/);
      expect(m.parsed.text).toMatch(/^\[DRILL\] This is a practice incident\./);
    }
  });

  it('with no active participant left, goes to the admin who scheduled the drill', async () => {
    const boss = await makeUserActor(t.deps, 'boss@acme.com', 'admin');
    await makeUserActor(t.deps, 'other-admin@acme.com', 'admin');
    const { incidentId } = await scheduleOrStartDrill(
      t.deps,
      { ...drill, participantIds: [ana.id!] },
      boss,
    );
    await updateUser(t.deps, { userId: ana.id!, disabled: true }, testActor);
    expect(recipients(await remindersOf(incidentId!))).toEqual(['boss@acme.com']);
  });

  it('with no participant and nobody known to have scheduled it, goes to the admins', async () => {
    await makeUserActor(t.deps, 'boss@acme.com', 'admin');
    const res = await admin.post('/api/admin/drills', { ...drill, participantIds: [ana.id!] });
    await updateUser(t.deps, { userId: ana.id!, disabled: true }, testActor);
    const mails = await remindersOf(res.json.incidentId);
    expect(recipients(mails)).toContain('boss@acme.com');
    expect(recipients(mails)).not.toContain('oncall@acme.com');
  });
});
