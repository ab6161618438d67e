import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import * as schema from '../../db/schema/index.ts';
import { createScheduler } from '../../server/jobs/scheduler.ts';
import { api, makeToken } from '../helpers/api.ts';
import { makeComponent } from '../helpers/factories.ts';
import { startTestServer, type ServerContext } from '../helpers/server.ts';
import { FormClient, makeUser } from '../helpers/site.ts';
import { readySchedulerProcesses } from '../helpers/second-process.ts';

const MIN = 60_000;

// Scheduled updates (and the all-clear) carry a text per named audience like posted updates:
// written now, unseen by anyone until the scheduler publishes the update, then each audience
// reads its own text and everyone else the public one.
describe('audience texts on scheduled updates and the all-clear', () => {
  let s: ServerContext;
  let responder: ReturnType<typeof api>;
  let admin: ReturnType<typeof api>;
  let pm: FormClient;
  let acme: { feedToken: string; links: Record<string, string> };
  let staff: { feedToken: string; links: Record<string, string> };
  let checkoutId: string;
  const scheduler = () => createScheduler(s.deps, { intervalMs: 10 });

  beforeAll(async () => {
    s = await startTestServer();
    admin = api(s, (await makeToken(s, 'admin')).secret);
    responder = api(s, (await makeToken(s, 'responder')).secret);
    checkoutId = (await makeComponent(s.deps, { name: 'Checkout' })).id;
    acme = (
      await admin.post('/api/admin/audiences', {
        name: 'Acme Corp',
        slug: 'acme-corp',
        memberDomains: ['acme.com'],
      })
    ).json;
    staff = (
      await admin.post('/api/admin/audiences', {
        name: 'Staff',
        slug: 'staff',
        everyoneSignedIn: true,
        seesInternal: true,
      })
    ).json;
    await makeUser(s, 'responder', 'pm@example.com');
    pm = new FormClient(s.url);
    await pm.login('pm@example.com');
  });
  afterAll(() => s.close());

  const local = (link: string | undefined) => {
    const u = new URL(link!);
    return s.url + u.pathname + u.search;
  };
  /** Every update body an audience's v2 JSON shows for one incident, newest first. */
  const bodiesFor = async (
    who: { links: Record<string, string> } | 'public',
    incidentId: string,
  ): Promise<string[]> => {
    const res =
      who === 'public'
        ? await fetch(`${s.url}/api/v2/incidents.json`)
        : await fetch(local(who.links.incidents));
    expect(res.status).toBe(200);
    const i = (await res.json()).incidents.find((x: { id: string }) => x.id === incidentId);
    return i ? i.incident_updates.map((u: { body: string }) => u.body) : [];
  };
  const everySurface = async () => {
    const texts = [];
    for (const p of ['/api/v2/incidents.json', '/history.rss', '/history.atom', '/'])
      texts.push(await (await fetch(s.url + p)).text());
    for (const a of [acme, staff])
      for (const l of [a.links.incidents, a.links.summary, a.links.rss, a.links.atom])
        texts.push(await (await fetch(local(l))).text());
    return texts.join('\n');
  };
  const declare = async (title: string) =>
    (
      await responder.post('/api/admin/incidents', {
        title,
        priority: 2,
        body: `${title}: looking.`,
        components: [{ componentId: checkoutId, status: 'partial_outage' }],
      })
    ).json.incident.id as string;
  /** A time `minutes` ahead of the server's clock, as the form's datetime-local (UTC page). */
  const localIn = (minutes: number) =>
    new Date(s.clock.now().getTime() + minutes * MIN).toISOString().slice(0, 16);
  /** Runs the real scheduler loop until the update's row is published, then stops it. */
  const publishWithScheduler = async (updateId: string) => {
    const loop = scheduler();
    loop.start();
    try {
      await vi.waitFor(
        async () => {
          const [row] = await s.deps.db
            .select({ state: schema.incidentUpdates.state })
            .from(schema.incidentUpdates)
            .where(eq(schema.incidentUpdates.id, updateId));
          expect(row?.state).toBe('published');
        },
        { timeout: 30_000, interval: 20 },
      );
    } finally {
      await loop.stop();
    }
  };

  it('POST /api/admin/incidents/:id/scheduled-updates keeps audience texts unseen until the scheduler publishes them, then each audience reads its own', async () => {
    const id = await declare('Payments slow');
    const r = await responder.post(`/api/admin/incidents/${id}/scheduled-updates`, {
      body: 'PUB-s1 Payments are back to normal speed.',
      audienceTexts: [{ audience: 'acme-corp', body: 'ACME-s1 Your EU payments are fast again.' }],
      scheduledFor: new Date(s.clock.now().getTime() + 10 * MIN).toISOString(),
    });
    expect(r.status).toBe(201);
    const updateId = r.json.update.id;
    expect((await responder.get(`/api/admin/scheduled-updates/${updateId}`)).json).toMatchObject({
      audienceTexts: [
        {
          audience: 'acme-corp',
          name: 'Acme Corp',
          body: 'ACME-s1 Your EU payments are fast again.',
        },
      ],
    });
    // Before its time nobody reads it: not the public, not the audience it is written for.
    const before = await everySurface();
    expect(before).not.toContain('ACME-s1');
    expect(before).not.toContain('PUB-s1');

    s.clock.advance(11 * MIN);
    await publishWithScheduler(updateId);
    expect((await bodiesFor(acme, id))[0]).toBe('ACME-s1 Your EU payments are fast again.');
    expect((await bodiesFor(staff, id))[0]).toBe('PUB-s1 Payments are back to normal speed.');
    expect((await bodiesFor('public', id))[0]).toBe('PUB-s1 Payments are back to normal speed.');
    const feed = await (await fetch(local(acme.links.rss))).text();
    expect(feed).toContain('ACME-s1');
    for (const p of ['/api/v2/incidents.json', '/history.rss', '/history.atom', `/incidents/${id}`])
      expect(await (await fetch(s.url + p)).text(), p).not.toContain('ACME-s1');
  });

  it('PATCH /api/admin/scheduled-updates/:id replaces the audience texts, keeps them when not given, and an emptied list goes back to the public text', async () => {
    const id = await declare('Search stale');
    const r = await responder.post(`/api/admin/incidents/${id}/scheduled-updates`, {
      body: 'PUB-s2 Search is fresh again.',
      audienceTexts: [
        { audience: 'acme-corp', body: 'ACME-s2 first' },
        { audience: 'staff', body: 'STAFF-s2 first' },
      ],
      scheduledFor: new Date(s.clock.now().getTime() + 10 * MIN).toISOString(),
    });
    const updateId = r.json.update.id;
    const texts = async () =>
      (await responder.get(`/api/admin/scheduled-updates/${updateId}`)).json.audienceTexts.map(
        (t: { audience: string; body: string }) => `${t.audience}: ${t.body}`,
      );
    expect(
      (await responder.patch(`/api/admin/scheduled-updates/${updateId}`, { body: 'PUB-s2 edited' }))
        .status,
    ).toBe(200);
    expect(await texts()).toEqual(['acme-corp: ACME-s2 first', 'staff: STAFF-s2 first']);
    expect(
      (
        await responder.patch(`/api/admin/scheduled-updates/${updateId}`, {
          audienceTexts: [{ audience: 'acme-corp', body: 'ACME-s2 second' }],
        })
      ).status,
    ).toBe(200);
    expect(await texts()).toEqual(['acme-corp: ACME-s2 second']);

    s.clock.advance(11 * MIN);
    await publishWithScheduler(updateId);
    expect((await bodiesFor(acme, id))[0]).toBe('ACME-s2 second');
    // The staff audience's text was taken away: it reads the public text again.
    expect((await bodiesFor(staff, id))[0]).toBe('PUB-s2 edited');
    expect(await everySurface()).not.toContain('STAFF-s2');
  });

  it('refuses a scheduled update or an edit naming an audience that does not exist, and writes nothing', async () => {
    const id = await declare('Login flaky');
    const updatesBefore = await s.deps.db.select().from(schema.incidentUpdates);
    const bad = await responder.post(`/api/admin/incidents/${id}/scheduled-updates`, {
      body: 'Fixed.',
      audienceTexts: [{ audience: 'nobody', body: 'Hidden.' }],
      scheduledFor: new Date(s.clock.now().getTime() + 10 * MIN).toISOString(),
    });
    expect(bad.status).toBe(422);
    expect(bad.json.error.fields).toHaveProperty('audienceTexts');
    expect(await s.deps.db.select().from(schema.incidentUpdates)).toEqual(updatesBefore);

    const ok = await responder.post(`/api/admin/incidents/${id}/scheduled-updates`, {
      body: 'Fixed.',
      audienceTexts: [{ audience: 'acme-corp', body: 'ACME-s3 kept' }],
      scheduledFor: new Date(s.clock.now().getTime() + 10 * MIN).toISOString(),
    });
    const updateId = ok.json.update.id;
    const rowBefore = await s.deps.db
      .select()
      .from(schema.incidentUpdates)
      .where(eq(schema.incidentUpdates.id, updateId));
    const textsBefore = await s.deps.db.select().from(schema.updateAudienceTexts);
    const edit = await responder.patch(`/api/admin/scheduled-updates/${updateId}`, {
      body: 'Changed.',
      audienceTexts: [{ audience: 'nobody', body: 'Hidden.' }],
    });
    expect(edit.status).toBe(422);
    expect(edit.json.error.fields).toHaveProperty('audienceTexts');
    expect(
      await s.deps.db
        .select()
        .from(schema.incidentUpdates)
        .where(eq(schema.incidentUpdates.id, updateId)),
    ).toEqual(rowBefore);
    expect(await s.deps.db.select().from(schema.updateAudienceTexts)).toEqual(textsBefore);
    await responder.del(`/api/admin/scheduled-updates/${updateId}`);
  });

  it('publishes a scheduled update whose audience was removed before its time, with the public text for everyone', async () => {
    const gone = (await admin.post('/api/admin/audiences', { name: 'Globex', slug: 'globex' }))
      .json;
    const id = await declare('Exports late');
    const r = await responder.post(`/api/admin/incidents/${id}/scheduled-updates`, {
      body: 'PUB-s4 Exports are on time again.',
      audienceTexts: [
        { audience: 'globex', body: 'GLOBEX-s4 yours' },
        { audience: 'acme-corp', body: 'ACME-s4 yours' },
      ],
      scheduledFor: new Date(s.clock.now().getTime() + 10 * MIN).toISOString(),
    });
    expect((await admin.del(`/api/admin/audiences/${gone.id}`)).status).toBe(204);
    s.clock.advance(11 * MIN);
    await publishWithScheduler(r.json.update.id);
    expect((await bodiesFor(acme, id))[0]).toBe('ACME-s4 yours');
    expect((await bodiesFor('public', id))[0]).toBe('PUB-s4 Exports are on time again.');
    expect(await everySurface()).not.toContain('GLOBEX-s4');
  });

  it('two Herald processes racing to publish the same scheduled updates give each audience its text once', async () => {
    const id = await declare('Queue stuck');
    const at = new Date(s.clock.now().getTime() + 10 * MIN);
    const ids: string[] = [];
    for (let k = 0; k < 5; k++) {
      const r = await responder.post(`/api/admin/incidents/${id}/scheduled-updates`, {
        body: `PUB-race${k} step ${k}`,
        audienceTexts: [{ audience: 'acme-corp', body: `ACME-race${k} step ${k}` }],
        scheduledFor: new Date(at.getTime() + k * 1000).toISOString(),
        nextUpdateInMinutes: 30,
      });
      expect(r.status).toBe(201);
      ids.push(r.json.update.id);
    }
    // Two real OS processes on the same database file, released together at the due time.
    const reports = await (
      await readySchedulerProcesses(s.dbUrl, new Date(at.getTime() + MIN), 2)
    ).go();
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(reports.flatMap((r) => r.published.map((p) => p.updateId)).sort()).toEqual(
      [...ids].sort(),
    );
    s.clock.set(new Date(at.getTime() + MIN).toISOString());
    const acmeBodies = await bodiesFor(acme, id);
    for (let k = 0; k < 5; k++) {
      expect(
        acmeBodies.filter((b) => b === `ACME-race${k} step ${k}`),
        `step ${k}`,
      ).toHaveLength(1);
      expect(acmeBodies).not.toContain(`PUB-race${k} step ${k}`);
    }
    const publicBodies = (await bodiesFor('public', id)).join('\n');
    expect(publicBodies).not.toContain('ACME-race');
    expect(
      await s.deps.db
        .select()
        .from(schema.updateAudienceTexts)
        .where(eq(schema.updateAudienceTexts.body, 'ACME-race0 step 0')),
    ).toHaveLength(1);
  });

  it('POST /api/admin/scheduled-incidents gives the pre-announced incident its audience texts when it goes public', async () => {
    const r = await responder.post('/api/admin/scheduled-incidents', {
      title: 'Database upgrade',
      priority: 3,
      body: 'PUB-s5 The database is being upgraded.',
      audienceTexts: [{ audience: 'acme-corp', body: 'ACME-s5 Your reports pause for 5 minutes.' }],
      scheduledFor: new Date(s.clock.now().getTime() + 10 * MIN).toISOString(),
    });
    expect(r.status).toBe(201);
    const hidden = await everySurface();
    for (const m of ['PUB-s5', 'ACME-s5']) expect(hidden).not.toContain(m);
    s.clock.advance(11 * MIN);
    await publishWithScheduler(r.json.update.id);
    expect(await bodiesFor(acme, r.json.incident.id)).toEqual([
      'ACME-s5 Your reports pause for 5 minutes.',
    ]);
    expect(await bodiesFor('public', r.json.incident.id)).toEqual([
      'PUB-s5 The database is being upgraded.',
    ]);
  });

  it('the schedule form takes a text per audience, the edit form shows and changes it, and the scheduler publishes it', async () => {
    const id = await declare('Invoices missing');
    const form = await pm.get(`/admin/incidents/${id}/schedule`);
    expect(form.res.status).toBe(200);
    expect(form.html).toContain('name="audienceText.acme-corp"');
    expect(form.html).toContain('name="audienceText.staff"');
    const posted = await pm.post(`/admin/incidents/${id}/schedule`, {
      scheduledFor: localIn(10),
      status: '',
      body: 'PUB-s6 Invoices are back.',
      'audienceText.acme-corp': 'ACME-s6 Your March invoices are back.',
      'audienceText.staff': '',
      nextIn: 'default',
    });
    expect(posted.res.status, posted.html.slice(0, 2000)).toBe(303);
    const updateId = /#u-(.+)$/.exec(posted.res.headers.get('location')!)![1]!;
    const edit = await pm.get(`/admin/scheduled/${updateId}`);
    expect(edit.html).toMatch(
      /name="audienceText\.acme-corp"[^>]*>ACME-s6 Your March invoices are back\.<\/textarea>/,
    );
    const saved = await pm.post(`/admin/scheduled/${updateId}`, {
      _action: 'save',
      scheduledFor: localIn(10),
      status: '',
      body: 'PUB-s6 Invoices are back.',
      'audienceText.acme-corp': 'ACME-s6 Your March and April invoices are back.',
      'audienceText.staff': 'STAFF-s6 Billing re-ran the export.',
      notify: 'on',
    });
    expect(saved.res.status, saved.html.slice(0, 2000)).toBe(303);
    const hidden = await everySurface();
    for (const m of ['PUB-s6', 'ACME-s6', 'STAFF-s6']) expect(hidden).not.toContain(m);

    s.clock.advance(11 * MIN);
    await publishWithScheduler(updateId);
    expect((await bodiesFor(acme, id))[0]).toBe('ACME-s6 Your March and April invoices are back.');
    expect((await bodiesFor(staff, id))[0]).toBe('STAFF-s6 Billing re-ran the export.');
    expect((await bodiesFor('public', id))[0]).toBe('PUB-s6 Invoices are back.');
  });

  it('the schedule form refuses an unknown audience, keeps what was typed, and writes nothing', async () => {
    const id = await declare('Webhooks slow');
    await pm.get(`/admin/incidents/${id}/schedule`);
    const before = await s.deps.db.select().from(schema.incidentUpdates);
    const r = await pm.post(`/admin/incidents/${id}/schedule`, {
      scheduledFor: localIn(10),
      status: '',
      body: 'PUB-s7 kept as typed',
      'audienceText.nobody': 'NOBODY-s7',
      nextIn: 'default',
    });
    expect(r.res.status).toBe(422);
    expect(r.html).toContain('PUB-s7 kept as typed');
    expect(r.html).toMatch(/no audience nobody/);
    expect(await s.deps.db.select().from(schema.incidentUpdates)).toEqual(before);
  });

  it('the all-clear takes a text per audience, through the form (after its confirmation) and the API', async () => {
    const id = await declare('Checkout down');
    const page = await pm.get(`/admin/incidents/${id}`);
    expect(page.html).toContain('id="resolve-audienceText-acme-corp"');
    const fields = {
      _action: 'resolve',
      body: 'PUB-s8 All clear. Thank you for your patience.',
      internalNote: '',
      supportScript: '',
      'audienceText.acme-corp': 'ACME-s8 Your checkout works again; refunds follow.',
      'audienceText.staff': '',
    };
    const ask = await pm.post(`/admin/incidents/${id}`, fields);
    expect(ask.res.status).toBe(200);
    // The confirmation carries the audience texts on to the second press.
    expect(ask.html).toMatch(
      /type="hidden" name="audienceText\.acme-corp" value="ACME-s8 Your checkout works again; refunds follow\."/,
    );
    const done = await pm.post(`/admin/incidents/${id}`, { ...fields, confirmed: '1' });
    expect(done.res.status, done.html.slice(0, 2000)).toBe(303);
    expect(await bodiesFor(acme, id)).toContain(
      'ACME-s8 Your checkout works again; refunds follow.',
    );
    expect(await bodiesFor('public', id)).toContain(
      'PUB-s8 All clear. Thank you for your patience.',
    );

    const other = await declare('Search down');
    const r = await responder.post(`/api/admin/incidents/${other}/resolve`, {
      body: 'PUB-s9 Search is back.',
      audienceTexts: [{ audience: 'staff', body: 'STAFF-s9 the index was rebuilt' }],
    });
    expect(r.status).toBe(200);
    expect(await bodiesFor(staff, other)).toContain('STAFF-s9 the index was rebuilt');
    expect(await bodiesFor(acme, other)).toContain('PUB-s9 Search is back.');
    expect(await bodiesFor(acme, other)).not.toContain('STAFF-s9 the index was rebuilt');
    expect(await (await fetch(`${s.url}/incidents/${other}`)).text()).not.toContain('STAFF-s9');
  });
});
