import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { api, makeToken } from '../helpers/api.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { makeUser } from './helpers.ts';

const publicPaths = [
  '/api/v2/summary.json',
  '/api/v2/status.json',
  '/api/v2/components.json',
  '/api/v2/incidents.json',
  '/api/v2/incidents/unresolved.json',
  '/api/v2/scheduled-maintenances.json',
  '/api/v2/scheduled-maintenances/upcoming.json',
  '/api/v2/scheduled-maintenances/active.json',
  '/history.rss',
  '/history.atom',
];

describe('the record during an incident', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let call: ReturnType<typeof api>;
  let ana: Awaited<ReturnType<typeof makeUser>>;
  let ben: Awaited<ReturnType<typeof makeUser>>;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    call = api(t, (await makeToken(t, 'responder')).secret);
    ana = await makeUser(t.deps, 'Ana');
    ben = await makeUser(t.deps, 'Ben');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  it('keeps each fact-sheet answer with who wrote it and when, and audits the change', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Checkout errors' });
    const r = await call.patch(`/api/admin/incidents/${incident.id}/facts`, {
      facts: { started: 'About 13:50, with deploy 4711', cause: 'Suspect deploy 4711' },
    });
    expect(r.status).toBe(200);
    expect(r.json.changed.sort()).toEqual(['cause', 'started']);
    const cause = r.json.facts.find((f: { question: string }) => f.question === 'cause');
    expect(cause).toMatchObject({
      text: 'What caused it?',
      answer: 'Suspect deploy 4711',
      authorLabel: 'token responder-bot',
      updatedAt: t.clock.now().toISOString(),
    });
    expect(r.json.facts).toHaveLength(6);
    const audit = await t.deps.db.select().from(auditLog).where(eq(auditLog.objectId, incident.id));
    expect(audit.map((a) => a.action)).toContain('incident.set_facts');

    t.clock.advance(60_000);
    const again = await call.patch(`/api/admin/incidents/${incident.id}/facts`, {
      facts: { cause: 'Deploy 4711: a missing index', started: 'About 13:50, with deploy 4711' },
    });
    expect(again.json.changed).toEqual(['cause']);
    const started = again.json.facts.find((f: { question: string }) => f.question === 'started');
    expect(started.updatedAt).toBe(new Date(t.clock.now().getTime() - 60_000).toISOString());
  });

  it('refuses a fact question it does not know, naming the field', async () => {
    const { incident } = await makeIncident(t.deps);
    const r = await call.patch(`/api/admin/incidents/${incident.id}/facts`, {
      facts: { mood: 'grim' },
    });
    expect(r.status).toBe(422);
    expect(Object.keys(r.json.error.fields)[0]).toMatch(/^facts/);
  });

  it('logs decisions as their own entries with author and time', async () => {
    const { incident } = await makeIncident(t.deps);
    const r = await call.post(`/api/admin/incidents/${incident.id}/decisions`, {
      decision: 'Roll back deploy 4711',
      why: 'checkout errors began with it',
    });
    expect(r.status).toBe(201);
    const rec = await call.get(`/api/admin/incidents/${incident.id}/record`);
    expect(rec.json.decisions).toEqual([
      expect.objectContaining({
        decision: 'Roll back deploy 4711',
        why: 'checkout errors began with it',
        authorLabel: 'token responder-bot',
        decidedAt: t.clock.now().toISOString(),
      }),
    ]);
  });

  it('marks a change nobody reviewed, and one with a reviewer as review requested until they confirm', async () => {
    const { incident } = await makeIncident(t.deps);
    const lone = await call.post(`/api/admin/incidents/${incident.id}/changes`, {
      what: 'UPDATE orders SET state = 1 WHERE id IN (...)',
      target: 'orders-db primary',
      ranById: ana.id,
      backupTaken: false,
      recordsTouched: 1200,
      triedOnSample: false,
    });
    expect(lone.status).toBe(201);
    expect(lone.json.change.unreviewed).toBe(true);
    const reviewed = await call.post(`/api/admin/incidents/${incident.id}/changes`, {
      what: 'kubectl rollout undo deploy/checkout',
      target: 'prod cluster',
      ranById: ana.id,
      reviewerId: ben.id,
      backupTaken: true,
      triedOnSample: true,
      ranAt: '2026-11-21T11:58:00Z',
    });
    expect(reviewed.json.change.unreviewed).toBe(false);
    const rec = await call.get(`/api/admin/incidents/${incident.id}/record`);
    expect(
      rec.json.changes.map((c: any) => [c.target, c.ranByName, c.review, c.unreviewed]),
    ).toEqual([
      ['prod cluster', 'Ana', 'review requested from Ben', false],
      ['orders-db primary', 'Ana', 'not reviewed', true],
    ]);
    const self = await call.post(`/api/admin/incidents/${incident.id}/changes`, {
      what: 'x',
      target: 'y',
      ranById: ana.id,
      reviewerId: ana.id,
      backupTaken: true,
      triedOnSample: true,
    });
    expect(self.status).toBe(422);
    expect(self.json.error.fields).toHaveProperty('reviewerId');
  });

  it('refuses an owner who is not a user and a due date it cannot read, naming the field', async () => {
    const { incident } = await makeIncident(t.deps);
    const base = { title: 'Roll back', kind: 'mitigate', phase: 'during' };
    const noUser = await call.post(`/api/admin/incidents/${incident.id}/action-items`, {
      ...base,
      ownerId: 'nobody',
      dueAt: '2026-11-21T14:20:00Z',
    });
    expect(noUser.status).toBe(422);
    expect(noUser.json.error.fields).toHaveProperty('ownerId');
    for (const dueAt of ['tomorrow', '21/11/2026 14:20', '2026-11-21T14:20', 1763734800000]) {
      const bad = await call.post(`/api/admin/incidents/${incident.id}/action-items`, {
        ...base,
        ownerId: ana.id,
        dueAt,
      });
      expect(bad.status, String(dueAt)).toBe(422);
      expect(Object.keys(bad.json.error.fields)).toEqual(['dueAt']);
    }
    const extra = await call.post(`/api/admin/incidents/${incident.id}/action-items`, {
      ...base,
      ownerId: ana.id,
      dueAt: '2026-11-21T14:20:00Z',
      priority: 'urgent',
    });
    expect(extra.status).toBe(422);
    const rec = await call.get(`/api/admin/incidents/${incident.id}/record`);
    expect(rec.json.actionItems).toEqual([]);
  });

  it('closes action items as done, or as won’t do only with a reason, and lists overdue ones', async () => {
    const { incident } = await makeIncident(t.deps);
    const mk = (title: string, dueAt: string) =>
      call.post(`/api/admin/incidents/${incident.id}/action-items`, {
        title,
        kind: 'prevent',
        ownerId: ana.id,
        dueAt,
        phase: 'after',
      });
    const soon = (await mk('Add the missing index check to CI', '2026-11-21T11:00:00Z')).json
      .actionItem;
    const later = (await mk('Alert on checkout error rate', '2026-12-21T11:00:00Z')).json
      .actionItem;
    const overdue = await call.get(
      `/api/admin/action-items?state=open&overdue=true&incident=${incident.id}`,
    );
    expect(overdue.json.actionItems.map((i: any) => i.title)).toEqual([
      'Add the missing index check to CI',
    ]);
    expect(overdue.json.actionItems[0]).toMatchObject({ ownerName: 'Ana', overdue: true });
    const noReason = await call.patch(`/api/admin/action-items/${later.id}`, { state: 'wont_do' });
    expect(noReason.status).toBe(422);
    expect(noReason.json.error.fields).toHaveProperty('reason');
    const dropped = await call.patch(`/api/admin/action-items/${later.id}`, {
      state: 'wont_do',
      reason: 'Covered by the new SLO alert',
    });
    expect(dropped.json.actionItem).toMatchObject({
      state: 'wont_do',
      stateReason: 'Covered by the new SLO alert',
    });
    const done = await call.patch(`/api/admin/action-items/${soon.id}`, { state: 'done' });
    expect(done.json.actionItem.state).toBe('done');
    const open = await call.get(`/api/admin/action-items?state=open&incident=${incident.id}`);
    expect(open.json.actionItems).toEqual([]);
    expect((await call.get('/api/admin/action-items?overdue=maybe')).status).toBe(422);
  });

  it('tracks remediation items with a PM priority that someone else confirms', async () => {
    const { incident } = await makeIncident(t.deps);
    const pm = api(t, (await makeToken(t, 'responder', 'pm')).secret);
    const created = await call.post(`/api/admin/incidents/${incident.id}/remediation-items`, {
      what: 'Resend the 40 order confirmations that failed',
      affected: 'Customers who ordered between 13:50 and 14:20',
      priority: 1,
      ownerId: ben.id,
    });
    expect(created.status).toBe(201);
    const item = created.json.remediationItem;
    const confirmed = await pm.patch(`/api/admin/remediation-items/${item.id}`, { confirm: true });
    expect(confirmed.json.remediationItem).toMatchObject({
      confirmedByLabel: 'token pm',
      priority: 1,
    });
    const rerated = await pm.patch(`/api/admin/remediation-items/${item.id}`, { priority: 0 });
    expect(rerated.json.remediationItem).toMatchObject({ priority: 0, confirmedAt: null });
    const { updateRemediationItem } =
      await import('../../server/domain/record/update-remediation-item.ts');
    const { addRemediationItem } =
      await import('../../server/domain/record/add-remediation-item.ts');
    const own = await addRemediationItem(
      t.deps,
      { incidentId: incident.id, what: 'Refund', affected: 'Two customers', priority: 2 },
      ana.actor,
    );
    await expect(
      updateRemediationItem(t.deps, { itemId: own.id, confirm: true }, ana.actor),
    ).rejects.toThrow(/someone else/);
    const ok = await updateRemediationItem(t.deps, { itemId: own.id, confirm: true }, ben.actor);
    expect(ok.confirmedByLabel).toBe(ben.email);
  });

  it('needs a signed-in responder', async () => {
    const { incident } = await makeIncident(t.deps);
    const anon = api(t, null);
    const r = await anon.post(`/api/admin/incidents/${incident.id}/decisions`, { decision: 'x' });
    expect(r.status).toBe(401);
    const doc = await call.get('/api/admin/openapi.json');
    expect(Object.keys(doc.json.paths)).toEqual(
      expect.arrayContaining([
        '/api/admin/incidents/{id}/facts',
        '/api/admin/incidents/{id}/decisions',
        '/api/admin/incidents/{id}/changes',
        '/api/admin/incidents/{id}/action-items',
        '/api/admin/action-items/{id}',
        '/api/admin/action-items',
        '/api/admin/incidents/{id}/remediation-items',
        '/api/admin/remediation-items/{id}',
      ]),
    );
  });

  it('keeps facts, decisions, changes and action items off public surfaces and public mail, and puts them in internal mail', async () => {
    await makeConfirmedSubscriber(t.deps, 'insider@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'outsider@example.org', 'customers');
    const c = await makeComponent(t.deps, { name: 'Checkout' });
    const { incident } = await makeIncident(t.deps, {
      priority: 0,
      title: 'Checkout down',
      body: 'Checkout fails for some customers.',
      components: [{ componentId: c.id, status: 'major_outage' }],
    });
    await testWorker(t).drain();
    smtp.clear();
    t.clock.advance(60_000);
    await call.patch(`/api/admin/incidents/${incident.id}/facts`, {
      facts: { cause: 'SECRET-CAUSE deploy 4711', legal: 'SECRET-LEGAL none' },
    });
    await call.post(`/api/admin/incidents/${incident.id}/decisions`, {
      decision: 'SECRET-DECISION roll back',
    });
    await call.post(`/api/admin/incidents/${incident.id}/changes`, {
      what: 'SECRET-CHANGE kubectl rollout undo',
      target: 'SECRET-TARGET',
      ranById: ana.id,
      backupTaken: false,
      triedOnSample: false,
    });
    const due = new Date(t.clock.now().getTime() + 20 * 60_000);
    const by = `${String(due.getUTCHours()).padStart(2, '0')}:${String(due.getUTCMinutes()).padStart(2, '0')} UTC`;
    await call.post(`/api/admin/incidents/${incident.id}/action-items`, {
      title: 'roll back deploy 4711',
      kind: 'mitigate',
      ownerId: ana.id,
      dueAt: due.toISOString(),
      phase: 'during',
    });
    await call.post(`/api/admin/incidents/${incident.id}/remediation-items`, {
      what: 'SECRET-REMEDIATION resend',
      affected: 'some',
      priority: 1,
    });
    t.clock.advance(60_000);
    await postIncidentUpdate(
      t.deps,
      { incidentId: incident.id, body: 'We are rolling back.', status: 'identified' },
      testActor,
    );
    await testWorker(t).drain();
    const inside = smtp.to('insider@acme.com')[0]!;
    const outside = smtp.to('outsider@example.org')[0]!;
    expect(inside.parsed.text).toContain('What caused it? SECRET-CAUSE deploy 4711');
    expect(inside.parsed.text).toContain(`Ana: roll back deploy 4711, by ${by}`);
    expect(inside.parsed.html).toContain(`Ana: roll back deploy 4711, by ${by}`);
    expect(outside.parsed.text).toContain('We are rolling back.');
    for (const secret of ['SECRET-', 'roll back deploy', 'Fact sheet', 'action items'])
      expect(outside.raw, secret).not.toContain(secret);

    // The fact sheet is carried when it changed: the next email leaves unchanged answers out.
    smtp.clear();
    t.clock.advance(60_000);
    await postIncidentUpdate(t.deps, { incidentId: incident.id, body: 'Rolled back.' }, testActor);
    await testWorker(t).drain();
    const next = smtp.to('insider@acme.com')[0]!;
    expect(next.parsed.text).not.toContain('SECRET-CAUSE');
    expect(next.parsed.text).toContain('Ana: roll back deploy 4711');

    for (const path of publicPaths) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(200);
      const body = await res.text();
      if (path.includes('incidents') || path.includes('history') || path.includes('summary'))
        expect(body, path).toContain('Checkout fails for some customers.');
      for (const secret of ['SECRET-', 'roll back deploy 4711'])
        expect(body, `${path} ${secret}`).not.toContain(secret);
    }

    // The internal all-clear thanks everyone who posted, decided, ran a change or owned an item.
    smtp.clear();
    t.clock.advance(60_000);
    await resolveIncident(t.deps, { incidentId: incident.id, body: 'All clear.' }, ben.actor);
    await testWorker(t).drain();
    expect(smtp.to('insider@acme.com')[0]!.parsed.text).toContain(
      'Thank you to everyone who worked on this: Ana, Ben.',
    );
    expect(smtp.to('outsider@example.org')[0]!.raw).not.toContain('Thank you to everyone');
  });
});
