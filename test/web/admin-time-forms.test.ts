import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, incidents, incidentUpdates, maintenances } from '../../db/schema/index.ts';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';

// The admin clock is the test's ManualClock at 2026-11-21T12:00Z; the page zone is UTC, so the
// datetime-local fields read as UTC.
describe('admin pages for scheduled updates, promises, maintenance and the switch', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let rita: FormClient;
  let ritaId: string;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    ritaId = (await makeUser(t, 'responder', 'rita@example.com')).id;
    rita = new FormClient(site.base);
    await rita.login('rita@example.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });
  const ritaActor = () => ({
    type: 'user' as const,
    id: ritaId,
    label: 'rita@example.com',
    role: 'responder' as const,
  });

  it('schedules an update from the incident page, lists it, edits it, and keeps what was typed on a bad time', async () => {
    const { incident } = await declareIncident(
      t.deps,
      { title: 'Slow search', priority: 2, body: 'Looking.' },
      ritaActor(),
    );
    await rita.get(`/admin/incidents/${incident.id}/schedule`);
    const bad = await rita.post(`/admin/incidents/${incident.id}/schedule`, {
      scheduledFor: 'soon',
      body: 'Index rebuilt.',
      nextIn: 'default',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('pick a date and time');
    expect(bad.html).toContain('Index rebuilt.');

    const { res } = await rita.post(`/admin/incidents/${incident.id}/schedule`, {
      scheduledFor: '2026-11-21T12:30',
      status: 'monitoring',
      body: 'Index rebuilt.',
      nextIn: 'default',
    });
    expect(res.status).toBe(303);
    const list = await rita.get('/admin/scheduled');
    expect(list.html).toContain('Index rebuilt.');
    expect(list.html).toContain('Sat 21 Nov 2026, 12:30 UTC');
    const [row] = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.state, 'scheduled'));
    expect(row?.scheduledFor?.toISOString()).toBe('2026-11-21T12:30:00.000Z');

    const edit = await rita.get(`/admin/scheduled/${row!.id}`);
    expect(edit.html).toContain('value="2026-11-21T12:30"');
    const saved = await rita.post(`/admin/scheduled/${row!.id}`, {
      _action: 'save',
      scheduledFor: '2026-11-21T12:45',
      status: 'monitoring',
      body: 'Index rebuilt; watching.',
    });
    expect(saved.res.status).toBe(303);
    const [after] = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.id, row!.id));
    expect(after).toMatchObject({ body: 'Index rebuilt; watching.', state: 'scheduled' });
    expect(after?.scheduledFor?.toISOString()).toBe('2026-11-21T12:45:00.000Z');

    // Not on the public page until it goes out.
    expect(await (await fetch(`${site.base}/incidents/${incident.id}`)).text()).not.toContain(
      'Index rebuilt',
    );
    const cancel = await rita.post(`/admin/scheduled/${row!.id}`, { _action: 'cancel' });
    expect(cancel.res.status).toBe(303);
    const [cancelled] = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.id, row!.id));
    expect(cancelled?.state).toBe('cancelled');
  });

  it('schedules a new incident that stays off the public page until its time', async () => {
    await rita.get('/admin/scheduled/new');
    const { res } = await rita.post('/admin/scheduled/new', {
      title: 'Planned failover',
      priority: '2',
      scheduledFor: '2026-11-21T13:00',
      status: 'identified',
      body: 'We fail over the database.',
      nextIn: 'default',
    });
    expect(res.status).toBe(303);
    const home = await (await fetch(`${site.base}/api/v2/incidents.json`)).json();
    expect(home.incidents.map((i: { name: string }) => i.name)).not.toContain('Planned failover');
    expect((await rita.get('/admin/scheduled')).html).toContain('new incident, not public yet');
  });

  it('the holding page from the reminder email changes nothing when opened; its button posts the holding update', async () => {
    const { incident } = await declareIncident(
      t.deps,
      { title: 'Login errors', priority: 1, body: 'Investigating.' },
      ritaActor(),
    );
    t.clock.advance(25 * 60_000);
    await createScheduler(t.deps).runOnce();
    // No SMTP_URL: the outbox writes .eml files; take the link from the email itself.
    await testWorker(t).drain();
    const emails = await Promise.all(
      readdirSync(path.join(t.dir, 'outbox')).map((f) =>
        PostalMime.parse(readFileSync(path.join(t.dir, 'outbox', f), 'utf8')),
      ),
    );
    const reminder = emails.find((m) => m.subject?.startsWith('REMINDER: NEXT UPDATE DUE'));
    const link = /https:\/\/status\.example\.com(\/admin\/incidents\/\w+\/holding)/.exec(
      reminder?.text ?? '',
    )![1]!;
    const snapshot = async () => ({
      incident: await t.deps.db.select().from(incidents).where(eq(incidents.id, incident.id)),
      updates: await t.deps.db
        .select()
        .from(incidentUpdates)
        .where(eq(incidentUpdates.incidentId, incident.id)),
      changes: await t.deps.reader.changeCounter(),
    });
    const unopened = await snapshot();
    const page = await rita.get(link);
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('Post holding update');
    // Opening it (as a mail scanner would) changed nothing at all.
    const before = await snapshot();
    expect(before).toEqual(unopened);
    expect(before.updates).toHaveLength(1);
    const posted = await rita.post(link, {});
    expect(posted.res.status).toBe(303);
    expect(posted.res.headers.get('location')).toBe(`/admin/incidents/${incident.id}?done=holding`);
    const after = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id));
    expect(after.map((u) => u.body)).toContain(
      'Nothing to update. Still investigating. Next update in 30 minutes.',
    );
    const report = await rita.get(`/admin/incidents/${incident.id}/promises`);
    expect(report.html).toContain('Every promise that fell due was kept (1 of 1); 1 not due yet.');
    const toggled = await rita.post(`/admin/incidents/${incident.id}/promises`, {
      autoHolding: 'on',
    });
    expect(toggled.res.status).toBe(303);
    expect((await rita.get(`/admin/incidents/${incident.id}`)).html).toContain(
      'automatic holding updates on',
    );
  });

  it('schedules a maintenance window, then starts, extends and completes it from its page', async () => {
    const db = await makeComponent(t.deps, { name: 'Primary DB' });
    await rita.get('/admin/maintenance');
    const { res } = await rita.post('/admin/maintenance', {
      title: 'Database upgrade',
      description: 'Upgrading Postgres.',
      scheduledFor: '2026-11-22T02:00',
      scheduledUntil: '2026-11-22T04:00',
      componentIds: [db.id],
      notify: 'on',
      notifyOnSchedule: 'on',
      reminderLeadMinutes: '30',
      autoStart: 'on',
      autoComplete: 'on',
    });
    expect(res.status).toBe(303);
    const path = res.headers.get('location')!.replace(/\?.*/, '');
    const [m] = await t.deps.db
      .select()
      .from(maintenances)
      .where(eq(maintenances.title, 'Database upgrade'));
    expect(m).toMatchObject({
      reminderLeadMinutes: 30,
      notifyReminder: false,
      notifyOnStart: false,
    });
    // Each step a form of its own with a message box: move, start and extend while scheduled
    // (cancelling asks first, on a page of its own)...
    const steps = (html: string) =>
      [...html.matchAll(/name="_action" value="(\w+)"/g)].map((x) => x[1]);
    const before = (await rita.get(path)).html;
    expect(steps(before)).toEqual(['move', 'start', 'extend']);
    expect(before).toContain('<textarea id="f-start-body" name="body"></textarea>');
    expect((await rita.post(path, { _action: 'start' })).res.status).toBe(303);
    const started = (await rita.get(path)).html;
    expect(started).toContain('Under maintenance');
    // ...extend and complete once it runs.
    expect(steps(started)).toEqual(['extend', 'complete']);
    expect(started).toContain('<textarea id="f-complete-body" name="body"></textarea>');
    const ext = await rita.post(path, { _action: 'extend', scheduledUntil: '2026-11-22T05:00' });
    expect(ext.res.status).toBe(303);
    expect((await rita.post(path, { _action: 'complete', body: 'All done.' })).res.status).toBe(
      303,
    );
    const page = await rita.get(path);
    expect(page.html).toContain('All done.');
    expect(page.html).toContain('Completed');
    // The maintenance notices (broadcasts without an incident) do not upset the broadcasts page.
    const notices = await rita.get('/admin/broadcasts');
    expect(notices.res.status).toBe(200);
  });

  it('switches maintenance mode on and off; a bad expected end re-renders with the message kept', async () => {
    await rita.get('/admin/switch');
    const bad = await rita.post('/admin/switch', {
      _action: 'on',
      message: 'Back soon.',
      until: 'tomorrow',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('Back soon.');
    const on = await rita.post('/admin/switch', {
      _action: 'on',
      message: 'Back soon.',
      until: '2026-11-30T10:00',
    });
    expect(on.res.status).toBe(303);
    // Follow the redirect: the PM lands on the switch page with a confirmation, not a 404.
    const landed = await rita.get(on.res.headers.get('location')!);
    expect(landed.res.status).toBe(200);
    expect(landed.html).toContain('Maintenance mode is ON');
    expect(await (await fetch(`${site.base}/api/maintenance`)).json()).toMatchObject({
      active: true,
      message: 'Back soon.',
      until: '2026-11-30T10:00:00.000Z',
    });
    expect((await rita.post('/admin/switch', { _action: 'off' })).res.status).toBe(303);
    expect(await (await fetch(`${site.base}/api/maintenance`)).json()).toEqual({ active: false });
    const audit = await t.deps.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.objectType, 'settings'));
    expect(audit.map((a) => [a.action, a.actorLabel])).toEqual([
      ['maintenance_switch.on', 'rita@example.com'],
      ['maintenance_switch.off', 'rita@example.com'],
    ]);
  });

  it('refuses a form post without the CSRF token', async () => {
    const r = await rita.post('/admin/switch', { _action: 'on', message: 'x' }, { csrf: null });
    expect(r.res.status).toBe(403);
  });
});

describe('the scheduled forms in other languages', () => {
  it('every scheduled form (an update, a new incident, the edit) offers the translation boxes and keeps what is written in them', async () => {
    const t = await createTestContext();
    const site = await startSite(t);
    try {
      await updateSettings(t.deps, { translationLanguages: ['fr'] }, testActor);
      const ritaId = (await makeUser(t, 'responder', 'rita@example.com')).id;
      const rita = new FormClient(site.base);
      await rita.login('rita@example.com');
      const { incident } = await declareIncident(
        t.deps,
        { title: 'Slow exports', priority: 2, body: 'Looking.' },
        { type: 'user', id: ritaId, label: 'rita@example.com', role: 'responder' },
      );
      const translationOf = async (body: string) =>
        (await t.deps.db.select().from(incidentUpdates).where(eq(incidentUpdates.body, body)))[0];
      expect((await rita.get(`/admin/incidents/${incident.id}/schedule`)).html).toContain(
        'name="translation.fr"',
      );
      const update = await rita.post(`/admin/incidents/${incident.id}/schedule`, {
        scheduledFor: '2026-11-21T12:30',
        body: 'Exports are fast again.',
        'translation.fr': 'Les exports sont de nouveau rapides.',
        nextIn: 'default',
      });
      expect(update.res.status).toBe(303);
      const scheduled = await translationOf('Exports are fast again.');
      expect(scheduled?.translations).toEqual({ fr: 'Les exports sont de nouveau rapides.' });

      expect((await rita.get('/admin/scheduled/new')).html).toContain('name="translation.fr"');
      const created = await rita.post('/admin/scheduled/new', {
        title: 'Planned export move',
        priority: '2',
        scheduledFor: '2026-11-21T13:00',
        status: 'identified',
        body: 'We move the exports.',
        'translation.fr': 'Nous déplaçons les exports.',
        nextIn: 'default',
      });
      expect(created.res.status).toBe(303);
      expect((await translationOf('We move the exports.'))?.translations).toEqual({
        fr: 'Nous déplaçons les exports.',
      });

      const edit = await rita.get(`/admin/scheduled/${scheduled!.id}`);
      expect(edit.html).toContain('Les exports sont de nouveau rapides.');
      const saved = await rita.post(`/admin/scheduled/${scheduled!.id}`, {
        _action: 'save',
        scheduledFor: '2026-11-21T12:45',
        body: 'Exports are fast again.',
        'translation.fr': 'Les exports vont bien.',
      });
      expect(saved.res.status).toBe(303);
      expect((await translationOf('Exports are fast again.'))?.translations).toEqual({
        fr: 'Les exports vont bien.',
      });
    } finally {
      await site.close();
      await t.close();
    }
  });
});
