import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { drills, incidents, lists } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { savePostmortem } from '../../server/domain/postmortems/save-postmortem.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

describe('drills', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let admin: ReturnType<typeof api>;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    admin = api(t, (await makeToken(t, 'admin')).secret);
    await makeConfirmedSubscriber(t.deps, 'team@acme.com', 'drills');
    await makeConfirmedSubscriber(t.deps, 'sales@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'customer@example.org', 'customers');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  it('a fresh database has a Drills list with the drill flag on', async () => {
    const [drillList] = await t.deps.db.select().from(lists).where(eq(lists.slug, 'drills'));
    expect(drillList).toMatchObject({ name: 'Drills', isDrill: true });
  });

  async function runDrill(title: string) {
    const pm = await makeUser(t, 'responder', `pm-${Math.random().toString(36).slice(2)}@acme.com`);
    const db = await makeComponent(t.deps, { name: `Database ${title}` });
    const at = new Date(t.clock.now().getTime() + 3600_000);
    const res = await admin.post('/api/admin/drills', {
      title,
      scenario: 'The primary database stops accepting writes.',
      priority: 1,
      componentIds: [db.id],
      participantIds: [pm.id],
      scheduledFor: at.toISOString(),
    });
    expect(res.status).toBe(201);
    const scheduler = createScheduler(t.deps);
    await scheduler.runOnce();
    expect(
      (await t.deps.db.select().from(drills).where(eq(drills.id, res.json.drill.id)))[0]!.state,
    ).toBe('scheduled');
    t.clock.set(at);
    await scheduler.runOnce();
    await scheduler.runOnce();
    const [d] = await t.deps.db.select().from(drills).where(eq(drills.id, res.json.drill.id));
    expect(d!.state).toBe('started');
    const [inc] = await t.deps.db.select().from(incidents).where(eq(incidents.id, d!.incidentId!));
    expect(inc).toMatchObject({ isDrill: true, title, priority: 1 });
    await testWorker(t).drain();
    return { drillId: d!.id, incidentId: inc!.id, pm };
  }

  it('at its time a scheduled drill declares a drill incident that reaches only the drill list and the participants', async () => {
    const r = await runDrill('Database writes fail');
    const toTeam = smtp.to('team@acme.com');
    expect(toTeam).toHaveLength(1);
    expect(toTeam[0]!.parsed.subject).toBe('[DRILL] PRIORITY 1 ISSUE UPDATE: DATABASE WRITES FAIL');
    expect(smtp.to('sales@acme.com')).toHaveLength(0);
    expect(smtp.to('customer@example.org')).toHaveLength(0);
    const toPm = smtp.to(r.pm.email);
    expect(toPm[0]!.parsed.subject).toBe('[DRILL] DRILL STARTED: PRIORITY 1: DATABASE WRITES FAIL');
    const summary = await t.app.request('/api/v2/incidents/unresolved.json');
    expect(JSON.stringify(await summary.json())).not.toContain('Database writes fail');
    // Strict input: a string priority, no participant, a time that is not one.
    const bad = await admin.post('/api/admin/drills', {
      title: 'x',
      scenario: 'y',
      priority: '1',
      participantIds: [],
      scheduledFor: 'soon',
    });
    expect(bad.status).toBe(422);
  });

  it('produces a scorecard, compared with the earlier drill', async () => {
    const first = await runDrill('Queue stuck');
    t.clock.advance(10 * 60_000);
    await postIncidentUpdate(
      t.deps,
      { incidentId: first.incidentId, body: 'Failing over.', nextUpdateInMinutes: 15 },
      testActor,
    );
    t.clock.advance(20 * 60_000);
    await resolveIncident(t.deps, { incidentId: first.incidentId }, testActor);
    const card1 = await admin.get(`/api/admin/drills/${first.drillId}/scorecard`);
    expect(card1.json.scorecard).toMatchObject({
      timeToFirstUpdateMs: 10 * 60_000,
      timeToAllClearMs: 30 * 60_000,
      promises: { broken: 1 },
      postMortemWritten: false,
    });
    await savePostmortem(
      t.deps,
      {
        incidentId: first.incidentId,
        publicBody: '## Summary\n\nThe queue stuck; we failed over.',
      },
      testActor,
    );
    const withPostmortem = await admin.get(`/api/admin/drills/${first.drillId}/scorecard`);
    expect(withPostmortem.json.scorecard.postMortemWritten).toBe(true);

    const second = await runDrill('Queue stuck again');
    t.clock.advance(4 * 60_000);
    await postIncidentUpdate(
      t.deps,
      { incidentId: second.incidentId, body: 'Failing over.', nextUpdateInMinutes: 15 },
      testActor,
    );
    t.clock.advance(10 * 60_000);
    await resolveIncident(t.deps, { incidentId: second.incidentId }, testActor);
    const card2 = await admin.get(`/api/admin/drills/${second.drillId}/scorecard`);
    expect(card2.json.scorecard).toMatchObject({
      timeToFirstUpdateMs: 4 * 60_000,
      timeToAllClearMs: 14 * 60_000,
    });
    expect(card2.json.scorecard.promises.allKept).toBe(true);
    expect(card2.json.comparedWithLast).toEqual({
      timeToFirstUpdateMs: -6 * 60_000,
      timeToAllClearMs: -16 * 60_000,
    });
    expect(card2.json.earlier.map((e: { drillId: string }) => e.drillId)).toContain(first.drillId);
  });

  it('an admin schedules a drill with the form and reads the scorecard page', async () => {
    const site = await startSite(t);
    try {
      const boss = await makeUser(t, 'admin', 'boss@acme.com');
      const c = new FormClient(site.base);
      await c.login('boss@acme.com');
      await c.get('/admin/drills');
      const bad = await c.post('/admin/drills', {
        title: 'Cache down',
        scenario: '',
        priority: '1',
        scheduledFor: '',
      });
      expect(bad.res.status).toBe(422);
      expect(bad.html).toContain('value="Cache down"');
      const ok = await c.post('/admin/drills', {
        title: 'Cache down',
        scenario: 'Redis is gone.',
        priority: '2',
        participantIds: boss.id,
        scheduledFor: '2030-01-01T10:00',
      });
      expect(ok.res.status).toBe(303);
      const id = /\/admin\/drills\/(\w+)/.exec(ok.res.headers.get('location')!)![1]!;
      const page = await c.get(`/admin/drills/${id}`);
      expect(page.html).toContain('Scorecard: Cache down');
    } finally {
      await site.close();
    }
  });
});
