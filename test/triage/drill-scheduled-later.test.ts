import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { drills, incidentComponents } from '../../db/schema/index.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { makeUser } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';

const DAY = 24 * 3600_000;

describe('a drill scheduled for later', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let admin: ReturnType<typeof api>;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    admin = api(t, (await makeToken(t, 'admin')).secret);
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  it("naming a component group runs at its time on the group's components", async () => {
    const pm = await makeUser(t, 'responder', 'pm@acme.com');
    const payments = await makeComponent(t.deps, { name: 'Payments', isGroup: true });
    const cards = await makeComponent(t.deps, { name: 'Card payments', groupId: payments.id });
    const at = new Date(t.clock.now().getTime() + DAY);
    const res = await admin.post('/api/admin/drills', {
      title: 'Payments game day',
      scenario: 'Practice: the card processor is down.',
      priority: 1,
      componentIds: [payments.id],
      participantIds: [pm.id],
      scheduledFor: at.toISOString(),
    });
    // Accepted, as a maintenance window accepts a group, for its components: then it must run
    // (it used to be marked failed at its time, "is a group", and nobody was told).
    expect(res.status).toBe(201);
    expect(res.json.drill.componentIds).toEqual([cards.id]);
    t.clock.set(at);
    await createScheduler(t.deps).runOnce();
    const [d] = await t.deps.db.select().from(drills).where(eq(drills.id, res.json.drill.id));
    expect({ state: d!.state, lastError: d!.lastError }).toEqual({
      state: 'started',
      lastError: null,
    });
    const named = await t.deps.db
      .select({ componentId: incidentComponents.componentId })
      .from(incidentComponents)
      .where(eq(incidentComponents.incidentId, d!.incidentId!));
    expect(named.map((n) => n.componentId)).toEqual([cards.id]);
  });

  it('a drill that cannot start at its time is mailed to the admins with the reason', async () => {
    await makeUser(t, 'admin', 'lead@acme.com');
    const pm = await makeUser(t, 'responder', 'pm2@acme.com');
    const search = await makeComponent(t.deps, { name: 'Search' });
    const at = new Date(t.clock.now().getTime() + DAY);
    const res = await admin.post('/api/admin/drills', {
      title: 'Search game day',
      scenario: 'Practice: the index is gone.',
      priority: 1,
      componentIds: [search.id],
      participantIds: [pm.id],
      scheduledFor: at.toISOString(),
    });
    expect(res.status).toBe(201);
    // A plan that no longer holds at its time: here a drill row saved before groups were
    // expanded, naming a group.
    const group = await makeComponent(t.deps, { name: 'Platform', isGroup: true });
    await t.deps.db
      .update(drills)
      .set({ componentIds: [group.id] })
      .where(eq(drills.id, res.json.drill.id));
    t.clock.set(at);
    await createScheduler(t.deps).runOnce();
    await testWorker(t).drain();
    // (Admins also keep the first drill's promise, nobody being on duty: look for this one.)
    const [mail] = smtp
      .to('lead@acme.com')
      .filter((m) => m.parsed.subject?.includes('DID NOT START'));
    expect(mail!.parsed.subject).toBe('[DRILL] DRILL DID NOT START: SEARCH GAME DAY');
    expect(mail!.parsed.text).toContain('did not start');
    expect(mail!.parsed.text).toContain('"Platform" is a group');
    expect(mail!.parsed.text).toContain(`/admin/drills/${res.json.drill.id}`);
    // The participants hear nothing: there is no drill to run.
    expect(smtp.to('pm2@acme.com')).toHaveLength(0);
    const [d] = await t.deps.db.select().from(drills).where(eq(drills.id, res.json.drill.id));
    expect(d!.state).toBe('failed');
  });
});
