import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, drills, incidentChanges, incidents, reports } from '../../db/schema/index.ts';
import { runDueDrills } from '../../server/domain/drills/run-due-drills.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { logDecision } from '../../server/domain/record/log-decision.ts';
import { retractDecision } from '../../server/domain/record/retract-decision.ts';
import { decideReport } from '../../server/domain/reports/decide-report.ts';
import { ConflictError } from '../../server/domain/shared/errors.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { fileReport } from '../triage/helpers.ts';
import { asActor } from './helpers.ts';

describe('the record: retracting a decision, counts as typed, and figures from the real start', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let site: Awaited<ReturnType<typeof startSite>>;
  let pm: Awaited<ReturnType<typeof makeUser>>;
  let form: FormClient;
  /** A fresh sign-in at the test clock's time (a session does not outlive a jump of days). */
  const signIn = async () => {
    form = new FormClient(site.base);
    await form.login('pm@example.com');
  };
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://127.0.0.1' } });
    t.clock.set('2026-12-01T10:00:00Z');
    site = await startSite(t);
    pm = await makeUser(t, 'admin', 'pm@example.com');
    await signIn();
  });
  afterAll(async () => {
    await site?.close();
    await t?.close();
    await smtp?.close();
  });

  it('a decision logged twice is retracted with a reason: struck through on the page, left out of the post-mortem draft, kept in the audit, and cannot be retracted or undone again', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Double decision', priority: 1 });
    await logDecision(
      t.deps,
      { incidentId: incident.id, decision: 'Roll back deploy 4711', why: 'errors began' },
      asActor(pm),
    );
    const twice = await logDecision(
      t.deps,
      { incidentId: incident.id, decision: 'Roll back deploy 4711 again', why: 'errors began' },
      asActor(pm),
    );
    await form.get(`/admin/incidents/${incident.id}`);
    const path = `/admin/incidents/${incident.id}/record`;
    const noReason = await form.post(path, {
      _action: 'decision-retract',
      decisionId: twice.id,
      reason: '',
    });
    expect(noReason.res.status).toBe(422);
    expect(noReason.html).toContain('is required');
    const done = await form.post(path, {
      _action: 'decision-retract',
      decisionId: twice.id,
      reason: 'logged twice',
    });
    expect(done.res.status).toBe(303);
    const page = (await form.get(`/admin/incidents/${incident.id}`)).html;
    expect(page).toMatch(/<del>Roll back deploy 4711 again/);
    expect(page).toContain('Retracted by pm@example.com');
    expect(page).toContain(': logged twice.');

    await resolveIncident(t.deps, { incidentId: incident.id, body: 'Fixed.' }, testActor);
    const call = api(t, (await makeToken(t, 'admin')).secret);
    const draft = (await call.get(`/api/admin/incidents/${incident.id}/postmortem`)).json;
    expect(draft.postmortem.internalBody).toContain('Roll back deploy 4711');
    expect(draft.postmortem.internalBody).not.toContain('again');

    const audit = await t.deps.db
      .select()
      .from(auditLog)
      .where(
        and(eq(auditLog.action, 'incident.retract_decision'), eq(auditLog.objectId, incident.id)),
      );
    expect(audit).toHaveLength(1);
    expect(audit[0]!.before).toMatchObject({ decision: 'Roll back deploy 4711 again' });

    const again = await call.post(`/api/admin/decisions/${twice.id}/retract`, { reason: 'oops' });
    expect(again.status).toBe(409);
    await expect(
      retractDecision(t.deps, { decisionId: twice.id, reason: 'race' }, asActor(pm)),
    ).rejects.toThrow(ConflictError);
    // Nothing in the API clears a retraction: the record keeps it.
    const rec = await call.get(`/api/admin/incidents/${incident.id}/record`);
    expect(rec.json.decisions.map((d: any) => [d.decision, d.retracted, d.retractReason])).toEqual([
      ['Roll back deploy 4711', false, null],
      ['Roll back deploy 4711 again', true, 'logged twice'],
    ]);
  });

  it('records touched accept "1 240" and "1,240"; "1,24" is refused with a readable message keeping what was typed', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Counts', priority: 1 });
    await form.get(`/admin/incidents/${incident.id}`);
    const path = `/admin/incidents/${incident.id}/record`;
    const base = { _action: 'change', target: 'orders-db', ranById: pm.id, reviewerId: '' };
    const bad = await form.post(path, { ...base, what: 'fix one', recordsTouched: '1,24' });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('must be a whole number, like 1240 or 1,240');
    expect(bad.html).toContain('value="1,24"');
    expect(bad.html).toContain('fix one');
    for (const typed of ['1 240', '1,240', '1\u00a0240', '1240'])
      expect(
        (await form.post(path, { ...base, what: `fix ${typed}`, recordsTouched: typed })).res
          .status,
      ).toBe(303);
    const rows = await t.deps.db
      .select({ n: incidentChanges.recordsTouched })
      .from(incidentChanges)
      .where(eq(incidentChanges.incidentId, incident.id));
    expect(rows.map((r) => r.n)).toEqual([1240, 1240, 1240, 1240]);
    for (const typed of ['1,2400', '12,40', '1,240 000', '-5', '1.5'])
      expect(
        (await form.post(path, { ...base, what: 'x', recordsTouched: typed })).res.status,
      ).toBe(422);
  });

  it('the look back measures the first update from the report and the second from the declaration', async () => {
    const reporter = asActor(await makeUser(t, 'responder', 'sales@example.com'));
    t.clock.set('2026-12-02T09:00:00Z');
    const r = await fileReport(t, reporter, { priority: 0, whatHappened: 'Nothing loads' });
    t.clock.set('2026-12-02T09:20:00Z');
    await decideReport(
      t.deps,
      { reportId: r.id, action: 'declare', title: 'Site down' },
      asActor(pm),
    );
    const [row] = await t.deps.db.select().from(reports).where(eq(reports.id, r.id));
    const id = row!.incidentId!;
    t.clock.set('2026-12-02T09:35:00Z');
    await postIncidentUpdate(t.deps, { incidentId: id, body: 'Found it.' }, asActor(pm));
    // Another incident, whose fact sheet says it began 30 minutes before it was declared.
    t.clock.set('2026-12-03T09:00:00Z');
    const { incident } = await makeIncident(t.deps, { title: 'Slow', priority: 1 });
    await signIn();
    await form.get(`/admin/incidents/${incident.id}`);
    const facts = await form.post(`/admin/incidents/${incident.id}/record`, {
      _action: 'facts',
      'fact.started': 'After the 08:30 deploy',
      startedAt: '2026-12-03T08:30',
    });
    expect(facts.res.status).toBe(303);
    t.clock.set('2026-12-03T09:05:00Z');
    await postIncidentUpdate(t.deps, { incidentId: incident.id, body: 'Still on it.' }, testActor);

    const call = api(t, (await makeToken(t, 'admin')).secret);
    const lb = (await call.get('/api/admin/look-back')).json;
    // Site down: 20 min from the report; Slow: 30 min from the fact sheet's start; the earlier
    // incidents of this file started at their first update (0 min).
    const measured = lb.figures;
    expect(measured.medianMinutesDeclarationToSecondUpdate).not.toBeNull();
    const lines = (await form.get('/admin/look-back')).html;
    expect(lines).toContain('Median time from the start to the first update:');
    expect(lines).toContain('Median time from the declaration to the second update:');
    // Measured on just these two incidents, the figures are exact.
    const { readLookBackFigures } = await import('../../server/domain/record/look-back-figures.ts');
    const two = await readLookBackFigures(
      t.deps.db,
      new Date('2026-12-02T00:00:00Z'),
      new Date('2026-12-04T00:00:00Z'),
    );
    expect(two.incidents).toBe(2);
    expect(two.medianMinutesToFirstUpdate).toBe(25);
    expect(two.medianMinutesDeclarationToSecondUpdate).toBe(10);
  });

  it('the post-mortem counts its duration from the fact sheet’s start time', async () => {
    t.clock.set('2026-12-04T10:00:00Z');
    const { incident } = await makeIncident(t.deps, {
      title: 'Counted from the start',
      priority: 1,
    });
    await signIn();
    await form.get(`/admin/incidents/${incident.id}`);
    const bad = await form.post(`/admin/incidents/${incident.id}/record`, {
      _action: 'facts',
      'fact.started': 'tomorrow?',
      startedAt: '2026-12-05T10:00',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('must not be in the future');
    await form.post(`/admin/incidents/${incident.id}/record`, {
      _action: 'facts',
      'fact.started': 'With the 09:15 deploy',
      startedAt: '2026-12-04T09:15',
    });
    t.clock.set('2026-12-04T10:30:00Z');
    await resolveIncident(t.deps, { incidentId: incident.id, body: 'Fixed.' }, testActor);
    const call = api(t, (await makeToken(t, 'admin')).secret);
    const draft = (await call.get(`/api/admin/incidents/${incident.id}/postmortem`)).json;
    // 09:15 to 10:30, not the 30 minutes since the declaration.
    expect(draft.postmortem.publicBody).toContain('(1 h 15 min)');
  });

  it('a drill starts now from one button, with no time typed, and the scheduler at the same moment does not start it twice', async () => {
    const participant = await makeUser(t, 'responder', 'drill-hand@example.com');
    await signIn();
    await form.get('/admin/drills');
    const started = await form.post('/admin/drills', {
      _action: 'now',
      title: 'Checkout drill',
      scenario: 'Card payments fail',
      priority: '1',
      participantIds: participant.id,
      scheduledFor: '',
    });
    expect(started.res.status).toBe(303);
    const where = started.res.headers.get('location')!;
    expect(where).toMatch(/^\/admin\/incidents\/[^/?]+\?done=drill-started$/);
    const incidentId = where.split('/')[3]!.split('?')[0]!;
    const [inc] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incidentId));
    expect(inc!.isDrill).toBe(true);
    expect(await runDueDrills(t.deps)).toEqual([]);
    const all = await t.deps.db.select().from(drills);
    expect(all.map((d) => [d.title, d.state, d.incidentId])).toEqual([
      ['Checkout drill', 'started', incidentId],
    ]);
    await testWorker(t).drain();
    expect(smtp.to('drill-hand@example.com').map((m) => m.parsed.subject)).toEqual([
      expect.stringContaining('DRILL STARTED'),
    ]);
    expect((await form.get(where)).html).toContain('Drill started');
    // Scheduling still needs a time: an empty one is named, not read as now.
    const noTime = await form.post('/admin/drills', {
      _action: 'schedule',
      title: 'Later drill',
      scenario: 'x',
      priority: '1',
      participantIds: participant.id,
      scheduledFor: '',
    });
    expect(noTime.res.status).toBe(422);
    expect(noTime.html).toContain('pick a date and time, or start it now');
  });
});
