import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { incidents, incidentUpdates, reports } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import {
  setOnDuty,
  updateTriageSettings,
} from '../../server/domain/reports/update-triage-settings.ts';
import type { Actor } from '../../server/domain/shared/actor.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { linkPath, testWorker } from '../helpers/outbox.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { eventsOf, fileReport, PNG } from './helpers.ts';

const asActor = (u: { id: string; email: string; role: Actor['role'] }): Actor => ({
  type: 'user',
  id: u.id,
  label: u.email,
  role: u.role,
});

describe('triage of reports', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let site: Awaited<ReturnType<typeof startSite>>;
  let admin: ReturnType<typeof api>;
  let reporter: Actor;
  let pmClient: FormClient;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    site = await startSite(t);
    admin = api(t, (await makeToken(t, 'admin')).secret);
    reporter = asActor(await makeUser(t, 'responder', 'sales@acme.com'));
    await makeUser(t, 'admin', 'pm@acme.com');
    pmClient = new FormClient(site.base);
    await pmClient.login('pm@acme.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  const mailTo = async (address: string) => {
    await testWorker(t).drain();
    return smtp.to(address);
  };

  it('re-rating needs a reason, and mails that reason to the reporter', async () => {
    const r = await fileReport(t, reporter, { priority: 1 });
    const missing = await admin.post(`/api/admin/reports/${r.id}/decision`, {
      action: 'rerate',
      priority: 2,
    });
    expect(missing.status).toBe(422);
    expect(missing.json.error.message).toContain('say why');
    const [still] = await t.deps.db.select().from(reports).where(eq(reports.id, r.id));
    expect(still!.state).toBe('open');

    const strict = await admin.post(`/api/admin/reports/${r.id}/decision`, {
      action: 'rerate',
      priority: '2',
      reason: 'x',
    });
    expect(strict.status).toBe(422);

    const done = await admin.post(`/api/admin/reports/${r.id}/decision`, {
      action: 'rerate',
      priority: 2,
      reason: 'Only one customer is affected and invoices can be sent by hand.',
    });
    expect(done.status).toBe(200);
    expect(done.json.decision).toMatchObject({ state: 'accepted', priority: 2 });
    const mail = (await mailTo('sales@acme.com')).find((m) =>
      m.parsed.subject?.startsWith('Your report: re-rated to P2'),
    )!;
    expect(mail.parsed.text).toContain(
      'Only one customer is affected and invoices can be sent by hand.',
    );
    expect(mail.parsed.text).toContain('you picked P1');

    // The reporter disagrees, once, from the status page linked in the email.
    const statusPath = linkPath(mail.parsed.text!, '/report/status/');
    const c = new FormClient(site.base);
    const page = await c.get(statusPath);
    expect(page.html).toContain('Escalate to the final authority');
    const esc = await c.post(statusPath, { reason: 'Three enterprise customers are blocked.' });
    expect(esc.res.status).toBe(303);
    const toPm = (await mailTo('pm@acme.com')).find((m) =>
      m.parsed.subject?.startsWith('ESCALATED'),
    )!;
    expect(toPm.parsed.text).toContain('Three enterprise customers are blocked.');
    const twice = await c.post(statusPath, { reason: 'Again' });
    expect(twice.res.status).toBe(409);
    expect(twice.html).toContain('already escalated');

    const audit = await admin.get(`/api/admin/audit?object_type=report&object_id=${r.id}`);
    expect(audit.json.entries.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['report.file', 'report.rerate', 'report.escalate']),
    );
  });

  it('the queue lists open reports P0/P1 first and newest first, with the wait', async () => {
    const low = await fileReport(t, reporter, { priority: 3, whatHappened: 'Typo on pricing' });
    t.clock.advance(60_000);
    const p1 = await fileReport(t, reporter, { priority: 1, whatHappened: 'Login slow' });
    t.clock.advance(60_000);
    const p0 = await fileReport(t, reporter, { priority: 0, whatHappened: 'Site down' });
    const res = await admin.get('/api/admin/reports?state=open');
    const ids = res.json.reports.map((r: { id: string }) => r.id);
    expect(ids.indexOf(p0.id)).toBeLessThan(ids.indexOf(p1.id));
    expect(ids.indexOf(p1.id)).toBeLessThan(ids.indexOf(low.id));
    expect(res.json.reports.find((r: { id: string }) => r.id === low.id).waitedMinutes).toBe(2);
    expect((await admin.get('/api/admin/reports?state=nonsense')).status).toBe(422);
    for (const id of [low.id, p1.id, p0.id])
      await admin.post(`/api/admin/reports/${id}/decision`, {
        action: 'close',
        closeReason: 'duplicate',
        reason: 'Known.',
      });
  });

  it('the timebox reminds the people on duty at half time, then goes overdue and escalates', async () => {
    const onDuty = await makeUser(t, 'responder', 'oncall@acme.com');
    await setOnDuty(t.deps, { userId: onDuty.id, onDuty: true }, testActor);
    const boss = await makeUser(t, 'admin', 'cto@acme.com');
    await updateTriageSettings(t.deps, { finalAuthorityUserId: boss.id }, testActor);
    const scheduler = createScheduler(t.deps);
    const r = await fileReport(t, reporter, { priority: 1, whatHappened: 'Exports fail' });
    // The people on duty hear of a P1 report when it is filed, then again at half time.
    expect(await mailTo('oncall@acme.com')).toHaveLength(1);
    smtp.clear();

    t.clock.advance(14 * 60_000);
    await scheduler.runOnce();
    expect(await mailTo('oncall@acme.com')).toHaveLength(0);
    const early = await pmClient.get('/admin');
    expect(early.html).toContain('16 min left to decide');

    t.clock.advance(60_000);
    await scheduler.runOnce();
    await scheduler.runOnce();
    const reminders = await mailTo('oncall@acme.com');
    expect(reminders).toHaveLength(1);
    expect(reminders[0]!.parsed.subject).toMatch(/^DECIDE BY .* P1 REPORT: EXPORTS FAIL$/);

    t.clock.advance(15 * 60_000);
    await scheduler.runOnce();
    await scheduler.runOnce();
    const escalations = (await mailTo('cto@acme.com')).filter((m) =>
      m.parsed.subject?.startsWith('OVERDUE'),
    );
    expect(escalations).toHaveLength(1);
    expect(escalations[0]!.parsed.text).toContain('Exports fail');
    const dash = await pmClient.get('/admin');
    expect(dash.html).toContain('TRIAGE OVERDUE');
    expect((await eventsOf(t, r.id)).map((e) => e.action)).toEqual([
      'filed',
      'alert',
      'reminder',
      'overdue',
    ]);

    // A P0 has 15 minutes: the reminder comes at 7.5.
    const p0 = await fileReport(t, reporter, { priority: 0, whatHappened: 'Everything down' });
    t.clock.advance(8 * 60_000);
    await scheduler.runOnce();
    expect((await eventsOf(t, p0.id)).map((e) => e.action)).toContain('reminder');
    // A decision stops the clock: no overdue mail after it.
    await admin.post(`/api/admin/reports/${p0.id}/decision`, { action: 'accept' });
    t.clock.advance(30 * 60_000);
    smtp.clear();
    await scheduler.runOnce();
    expect(
      (await mailTo('cto@acme.com')).filter((m) => m.parsed.subject?.includes('EVERYTHING DOWN')),
    ).toHaveLength(0);
    await admin.post(`/api/admin/reports/${r.id}/decision`, {
      action: 'close',
      closeReason: 'not_reproducible',
      reason: 'Works now.',
    });
  });

  it('declaring from a report pre-fills the declare form and links the report; the reporter follows the incident', async () => {
    const checkout = await makeComponent(t.deps, { name: 'Checkout' });
    const r = await fileReport(t, reporter, {
      priority: 1,
      whatHappened: 'Card payments fail with error 502',
      componentIds: [checkout.id],
    });
    const form = await pmClient.get(`/admin/incidents/new?report=${r.id}`);
    // The reporter's words are a hint beside an empty title, never the public title itself.
    const titleInput = /<input id="f-title"[^>]*>/.exec(form.html)?.[0];
    expect(titleInput).toBeDefined();
    expect(titleInput).not.toContain('Card payments');
    expect(form.html).toContain('Card payments fail with error 502');
    expect(form.html).toMatch(/name="priority" value="1" checked/);
    expect(form.html).toMatch(
      new RegExp(
        `name="component\\.${checkout.id}"[^>]*>[\\s\\S]*?<option value="major_outage" selected`,
      ),
    );
    expect(form.html).toContain(`/admin/reports/${r.id}`);

    const fields: Record<string, string> = {};
    for (const m of form.html.matchAll(
      /<input[^>]*type="hidden" name="(reportId)" value="([^"]*)"/g,
    ))
      fields[m[1]!] = m[2]!;
    const res = await pmClient.post('/admin/incidents/new', {
      ...fields,
      title: 'Card payments failing',
      priority: '1',
      status: 'investigating',
      [`component.${checkout.id}`]: 'major_outage',
      body: 'We are investigating failing card payments.',
      internalNote: `Declared from report https://status.example.com/admin/reports/${r.id}`,
      nextIn: '30',
    });
    expect(res.res.status).toBe(303);
    const incidentId = /\/admin\/incidents\/(\w+)/.exec(res.res.headers.get('location')!)![1]!;
    const [row] = await t.deps.db.select().from(reports).where(eq(reports.id, r.id));
    expect(row).toMatchObject({ state: 'declared', incidentId });
    const [first] = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incidentId));
    expect(first!.internalNote).toContain(`/admin/reports/${r.id}`);
    const decision = (await mailTo('sales@acme.com')).find((m) =>
      m.parsed.subject?.includes('incident declared'),
    )!;
    expect(decision.parsed.text).toContain('Card payments failing');

    t.clock.advance(60_000);
    await postIncidentUpdate(
      t.deps,
      { incidentId, body: 'A fix is rolling out.', status: 'identified' },
      testActor,
    );
    const scheduler = createScheduler(t.deps);
    await scheduler.runOnce();
    await scheduler.runOnce();
    const follows = (await mailTo('sales@acme.com')).filter((m) =>
      m.parsed.subject?.startsWith('PRIORITY 1 ISSUE UPDATE'),
    );
    expect(follows).toHaveLength(1);
    expect(follows[0]!.parsed.text).toContain('A fix is rolling out.');
  });

  it('declaring from a report with a bad priority names it on the form, declares nothing and leaves the report open', async () => {
    const r = await fileReport(t, reporter, {
      priority: 1,
      whatHappened: 'Invoices show the wrong totals',
    });
    const before = (await t.deps.db.select().from(incidents)).length;
    const res = await pmClient.post('/admin/incidents/new', {
      reportId: r.id,
      title: 'Wrong invoice totals',
      priority: 'urgent',
      status: 'investigating',
      body: 'We are looking into wrong totals on invoices.',
      nextIn: '30',
    });
    expect(res.res.status).toBe(422);
    expect(res.html).toMatch(/<a href="#f-priority">[^<]*<\/a>: must be 0, 1, 2 or 3/);
    expect(res.html).toContain('value="Wrong invoice totals"');
    expect((await t.deps.db.select().from(incidents)).length).toBe(before);
    const [row] = await t.deps.db.select().from(reports).where(eq(reports.id, r.id));
    expect(row).toMatchObject({ state: 'open', incidentId: null });
  });

  it('declaring through the API needs a title of its own and carries the report’s priority and components', async () => {
    const api2 = await makeComponent(t.deps, { name: 'API' });
    const r = await fileReport(t, reporter, {
      priority: 0,
      whatHappened: 'API returns 500 for everyone',
      componentIds: [api2.id],
    });
    const untitled = await admin.post(`/api/admin/reports/${r.id}/decision`, {
      action: 'declare',
    });
    expect(untitled.status).toBe(422);
    expect(JSON.stringify(untitled.json)).toContain('title');
    const res = await admin.post(`/api/admin/reports/${r.id}/decision`, {
      action: 'declare',
      title: 'API errors for everyone',
    });
    expect(res.status).toBe(200);
    const [inc] = await t.deps.db
      .select()
      .from(incidents)
      .where(eq(incidents.id, res.json.decision.incidentId));
    expect(inc).toMatchObject({ title: 'API errors for everyone', priority: 0 });
    const detail = await admin.get(`/api/admin/incidents/${inc!.id}`);
    expect(JSON.stringify(detail.json)).toContain(api2.id);
  });

  it('merging makes the reporter follow the open incident; closing sends the note', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Search is slow', priority: 2 });
    const r = await fileReport(t, reporter, { priority: 2, whatHappened: 'Search takes 20 s' });
    const bad = await admin.post(`/api/admin/reports/${r.id}/decision`, { action: 'merge' });
    expect(bad.status).toBe(422);
    const ok = await admin.post(`/api/admin/reports/${r.id}/decision`, {
      action: 'merge',
      incidentId: incident.id,
    });
    expect(ok.json.decision.state).toBe('merged');
    expect(
      (await mailTo('sales@acme.com')).some((m) => m.parsed.text?.includes('Search is slow')),
    ).toBe(true);
    const again = await admin.post(`/api/admin/reports/${r.id}/decision`, { action: 'accept' });
    expect(again.status).toBe(409);

    const f = await fileReport(t, reporter, {
      kind: 'feature',
      priority: 3,
      whatHappened: 'Dark mode please',
    });
    await admin.post(`/api/admin/reports/${f.id}/decision`, {
      action: 'close',
      closeReason: 'feature_request',
      reason: 'On the roadmap for Q3.',
    });
    const closed = (await mailTo('sales@acme.com')).find((m) =>
      m.parsed.subject?.includes('closed'),
    )!;
    expect(closed.parsed.text).toContain('On the roadmap for Q3.');
    expect(closed.parsed.text).toContain('Feature request');
  });

  it('counts P1s per week against the budget, and shows a banner over it', async () => {
    await updateTriageSettings(t.deps, { p1BudgetPerWeek: 1 }, testActor);
    const before = await admin.get('/api/admin/reports-budget');
    expect(before.json.weeks).toHaveLength(8);
    const base = before.json.thisWeek;
    await makeIncident(t.deps, { priority: 1, title: 'P1 a' });
    await makeIncident(t.deps, { priority: 1, title: 'Drill', isDrill: true });
    await makeIncident(t.deps, { priority: 1, title: 'P1 b' });
    const after = await admin.get('/api/admin/reports-budget');
    expect(after.json.thisWeek).toBe(base + 2);
    expect(after.json.over).toBe(true);
    const dash = await pmClient.get('/admin');
    expect(dash.html).toContain('Over the P1 budget');
    expect(dash.html).toContain(`P1s this week: <strong>${base + 2} of 1</strong>`);
    // Next week starts at zero and the old week stays in the series.
    t.clock.advance(7 * 86_400_000);
    const next = await admin.get('/api/admin/reports-budget');
    expect(next.json.thisWeek).toBe(0);
    expect(next.json.weeks.at(-2).count).toBe(base + 2);
    expect((await pmClient.get('/admin')).html).not.toContain('Over the P1 budget');
    await updateTriageSettings(t.deps, { p1BudgetPerWeek: 3 }, testActor);
  });

  it('serves an attachment to signed-in users only', async () => {
    const r = await fileReport(t, reporter, {
      priority: 2,
      attachment: { fileName: 'shot.png', contentType: 'image/png', bytes: PNG },
    });
    const anon = await fetch(`${site.base}/admin/reports/${r.id}/attachment`, {
      redirect: 'manual',
    });
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toMatch(/^\/login/);
    // Earlier tests moved the clock past the session's idle limit: sign in afresh.
    await pmClient.login('pm@acme.com');
    const res = await fetch(`${site.base}/admin/reports/${r.id}/attachment`, {
      headers: { cookie: [...pmClient.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([...PNG]);
  });
});
