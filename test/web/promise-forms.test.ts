import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents, incidentUpdates } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { api, makeToken } from '../helpers/api.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';

const MIN = 60_000;

describe('next-update promises and holding text on the admin forms', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let admin: FormClient;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    const u = await makeUser(t, 'admin');
    admin = new FormClient(site.base);
    await admin.login(u.email);
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  const latestBody = async (incidentId: string) => {
    const rows = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incidentId));
    return rows.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]!.body;
  };

  it('the one-click holding update follows the incident status', async () => {
    const expected: Record<string, string> = {
      investigating: 'Nothing to update. Still investigating. Next update in 30 minutes.',
      identified: 'Nothing to update. Still working on the fix. Next update in 30 minutes.',
      monitoring: 'Nothing to update. Still monitoring. Next update in 30 minutes.',
    };
    for (const [status, text] of Object.entries(expected)) {
      const { incident } = await makeIncident(t.deps, { priority: 1, title: `Held ${status}` });
      t.clock.advance(MIN);
      if (status !== 'investigating')
        await postIncidentUpdate(
          t.deps,
          { incidentId: incident.id, status: status as 'identified', body: 'Progress.' },
          testActor,
        );
      t.clock.advance(MIN);
      const page = await admin.get(`/admin/incidents/${incident.id}`);
      expect(page.html).toContain(`Post holding update: “${text}”`);
      const { res } = await admin.post(`/admin/incidents/${incident.id}`, { _action: 'holding' });
      expect(res.status).toBe(303);
      expect(await latestBody(incident.id)).toBe(text);
    }
  });

  it('a holding update does not hide the real update on the home page', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Checkout errors' });
    t.clock.advance(MIN);
    await postIncidentUpdate(
      t.deps,
      { incidentId: incident.id, status: 'identified', body: 'We rolled back the deploy.' },
      testActor,
    );
    t.clock.advance(MIN);
    await admin.get(`/admin/incidents/${incident.id}`);
    await admin.post(`/admin/incidents/${incident.id}`, { _action: 'holding' });
    const home = await (await fetch(`${site.base}/`)).text();
    expect(home).toContain('Nothing to update. Still working on the fix.');
    expect(home).toContain('We rolled back the deploy.');
  });

  it('message templates end with the promise the form chose: 15, 30 or 60 minutes', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Template minutes' });
    await admin.get(`/admin/incidents/${incident.id}`);
    for (const minutes of ['15', '30', '60']) {
      const { html } = await admin.post(`/admin/incidents/${incident.id}`, {
        _action: 'update',
        template: 'identified',
        nextIn: minutes,
        body: '',
      });
      expect(html).toContain(
        `We have found the cause and are working on a fix. Next update in ${minutes} minutes.</textarea>`,
      );
    }
    const declare = await admin.post('/admin/incidents/new', {
      title: 'Declared with a template',
      priority: '0',
      template: 'investigating',
      nextIn: '60',
      body: '',
    });
    expect(declare.html).toContain(
      'We are aware of a problem and are investigating. Next update in 60 minutes.</textarea>',
    );
  });

  it('the next-update promise defaults by priority: P0 15 minutes, P1 30, P2 none', async () => {
    await admin.get('/admin/incidents/new');
    const due: Record<string, number | null> = {};
    for (const priority of ['0', '1', '2']) {
      const { res } = await admin.post('/admin/incidents/new', {
        title: `Default P${priority}`,
        priority,
        status: 'investigating',
        body: 'Looking into it.',
        nextIn: 'default',
      });
      expect(res.status).toBe(303);
      const id = /\/admin\/incidents\/(\w+)/.exec(res.headers.get('location')!)![1]!;
      const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, id));
      due[priority] = row!.nextUpdateDueAt
        ? (row!.nextUpdateDueAt.getTime() - t.clock.now().getTime()) / MIN
        : null;
    }
    expect(due).toEqual({ '0': 15, '1': 30, '2': null });
  });

  it('a scheduled P0 incident promises the P0 default from the time it goes out', async () => {
    await admin.get('/admin/scheduled/new');
    const at = new Date(t.clock.now().getTime() + 24 * 3600_000);
    const { res } = await admin.post('/admin/scheduled/new', {
      title: 'Planned P0 failover',
      priority: '0',
      scheduledFor: at.toISOString().slice(0, 16),
      status: 'identified',
      body: 'We fail over now.',
      nextIn: 'default',
    });
    expect(res.status).toBe(303);
    const [row] = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.body, 'We fail over now.'));
    expect((row!.nextUpdateDueAt!.getTime() - row!.scheduledFor!.getTime()) / MIN).toBe(15);
  });

  it('the promise defaults are set in the settings form and the admin API, and used at once', async () => {
    await admin.get('/admin/settings');
    const base = { pageName: 'Acme', publicUrl: '', timeZone: 'Etc/UTC' };
    const bad = await admin.post('/admin/settings', {
      ...base,
      promiseMinutesP0: '',
      promiseMinutesP1: 'soon',
      promiseMinutesP2: '',
      promiseMinutesP3: '',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('P0 and P1 always promise');
    expect(bad.html).toContain('value="soon"');
    const ok = await admin.post('/admin/settings', {
      ...base,
      promiseMinutesP0: '10',
      promiseMinutesP1: '20',
      promiseMinutesP2: '120',
      promiseMinutesP3: '',
    });
    expect(ok.res.status).toBe(303);
    const { incident: p0 } = await makeIncident(t.deps, { priority: 0, title: 'Configured P0' });
    expect((p0.nextUpdateDueAt!.getTime() - t.clock.now().getTime()) / MIN).toBe(10);
    const { incident: p2 } = await makeIncident(t.deps, { priority: 2, title: 'Configured P2' });
    expect((p2.nextUpdateDueAt!.getTime() - t.clock.now().getTime()) / MIN).toBe(120);
    const holding = await admin.get(`/admin/incidents/${p0.id}`);
    expect(holding.html).toContain('Still investigating. Next update in 10 minutes.');
    // The admin API reads and writes the same settings, strictly typed (no strings for numbers).
    const a = api(t, (await makeToken(t, 'admin')).secret);
    expect((await a.get('/api/admin/settings')).json.settings).toMatchObject({
      promiseMinutesP0: 10,
      promiseMinutesP1: 20,
      promiseMinutesP2: 120,
      promiseMinutesP3: null,
    });
    expect((await a.patch('/api/admin/settings', { promiseMinutesP0: 0 })).status).toBe(422);
    const back = await a.patch('/api/admin/settings', {
      promiseMinutesP0: 15,
      promiseMinutesP1: 30,
      promiseMinutesP2: null,
    });
    expect(back.status).toBe(200);
    expect(back.json.settings).toMatchObject({ promiseMinutesP0: 15, promiseMinutesP2: null });
  });
});
