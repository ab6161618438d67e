import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeUserActor } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';

const DAY = 24 * 60 * 60_000;

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
