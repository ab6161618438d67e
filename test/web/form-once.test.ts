import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokens, broadcasts, incidents, incidentUpdates } from '../../db/schema/index.ts';
import { writeWait } from '../../db/client.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { type Receiver, startReceiver } from '../channels/receiver.ts';
import { startSiteOnDatabase } from '../helpers/child-site.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { holdWriteLock } from '../helpers/lock-holder.ts';
import { makeIncident } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

/** The one-time token of the form on `html` that contains `marker` (e.g. its `_action`). */
function tokenOf(html: string, marker: string): string {
  const form = html.split('<form').find((f) => f.includes(marker));
  const m = form && /name="_submission" value="([^"]+)"/.exec(form);
  if (!m) throw new Error(`no one-time token in the form with ${marker}`);
  return m[1]!;
}

const SAVED_ONCE = 'This form was already sent; it was saved once.';

describe('an admin form sent twice runs once (double-click, replayed request)', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let pm: FormClient;
  let admin: FormClient;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    await makeConfirmedSubscriber(t.deps, 'reader@example.org');
    const u = await makeUser(t, 'responder');
    pm = new FormClient(site.base);
    await pm.login(u.email);
    const a = await makeUser(t, 'admin');
    admin = new FormClient(site.base);
    await admin.login(a.email);
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  const updatesOf = async (incidentId: string) =>
    (
      await t.deps.db
        .select({ body: incidentUpdates.body })
        .from(incidentUpdates)
        .where(eq(incidentUpdates.incidentId, incidentId))
    ).map((r) => r.body);
  const broadcastCount = async (incidentId: string) =>
    (await t.deps.db.select().from(broadcasts).where(eq(broadcasts.incidentId, incidentId))).length;
  const updateForm = (token: string, body: string) => ({
    _action: 'update',
    _submission: token,
    status: 'identified',
    body,
    notifyShown: '1',
    notify: 'on',
    nextIn: '30',
  });

  it('two identical posts of the update form at once publish one update and one broadcast; both answers show it once', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Checkout down' });
    const page = await pm.get(`/admin/incidents/${incident.id}`);
    const token = tokenOf(page.html, 'value="update"');
    const broadcastsBefore = await broadcastCount(incident.id);
    const form = updateForm(token, 'The card processor rejects requests; we are failing over.');
    const [a, b] = await Promise.all([
      pm.post(`/admin/incidents/${incident.id}`, form),
      pm.post(`/admin/incidents/${incident.id}`, form),
    ]);
    expect([a.res.status, b.res.status]).toEqual([303, 303]);
    const locations = [a, b].map((r) => r.res.headers.get('location')).sort();
    expect(locations).toEqual([
      `/admin/incidents/${incident.id}?done=updated`,
      `/admin/incidents/${incident.id}?done=updated&sent=again`,
    ]);
    expect(
      (await updatesOf(incident.id)).filter((body) => body.includes('failing over')),
    ).toHaveLength(1);
    expect(await broadcastCount(incident.id)).toBe(broadcastsBefore + 1);
    // What the browser shows after a double-click: the second answer, with the update once.
    const shown = await pm.get(locations[1]!);
    expect(shown.html).toContain('Update posted.');
    expect(shown.html).toContain(SAVED_ONCE);
    expect(shown.html.split('we are failing over.').length - 1).toBe(1);
    const summary = (await (await fetch(`${site.base}/api/v2/summary.json`)).json()) as {
      incidents: { id: string; incident_updates: { body: string }[] }[];
    };
    const published = summary.incidents.find((i) => i.id === incident.id)!.incident_updates;
    expect(published.filter((u) => u.body.includes('failing over'))).toHaveLength(1);
  });

  it('a replayed declare (the same request twice) declares one incident and lands on it again', async () => {
    const page = await pm.get('/admin/incidents/new');
    const form = {
      _submission: tokenOf(page.html, 'name="title"'),
      title: 'Search is down',
      priority: '1',
      status: 'investigating',
      body: 'Search returns errors.',
      nextIn: '30',
    };
    const first = await pm.post('/admin/incidents/new', form);
    const again = await pm.post('/admin/incidents/new', form);
    expect(first.res.status).toBe(303);
    expect(again.res.status).toBe(303);
    const went = first.res.headers.get('location')!;
    expect(went).toMatch(/^\/admin\/incidents\/\w+\?done=declared$/);
    expect(again.res.headers.get('location')).toBe(`${went}&sent=again`);
    const declared = await t.deps.db
      .select()
      .from(incidents)
      .where(eq(incidents.title, 'Search is down'));
    expect(declared).toHaveLength(1);
    const shown = await pm.get(again.res.headers.get('location')!);
    expect(shown.html).toContain('Incident declared.');
    expect(shown.html).toContain(SAVED_ONCE);
  });

  it('a refused form does not use up its token: the corrected form is saved, without a repeat notice', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 2, title: 'Slow exports' });
    const page = await pm.get(`/admin/incidents/${incident.id}`);
    const token = tokenOf(page.html, 'value="update"');
    const refused = await pm.post(`/admin/incidents/${incident.id}`, updateForm(token, ''));
    expect(refused.res.status).toBe(422);
    expect(refused.html).not.toContain(SAVED_ONCE);
    // The form comes back with a token of its own.
    const fresh = tokenOf(refused.html, 'value="update"');
    expect(fresh).not.toBe(token);
    const corrected = await pm.post(
      `/admin/incidents/${incident.id}`,
      updateForm(fresh, 'Exports are slow; we are adding workers.'),
    );
    expect(corrected.res.headers.get('location')).toBe(
      `/admin/incidents/${incident.id}?done=updated`,
    );
    // The refused post's own token was given back too (the browser's Back, then Send).
    const resent = await pm.post(
      `/admin/incidents/${incident.id}`,
      updateForm(token, 'Exports are back to normal speed.'),
    );
    expect(resent.res.headers.get('location')).toBe(`/admin/incidents/${incident.id}?done=updated`);
    expect(await updatesOf(incident.id)).toEqual(
      expect.arrayContaining([
        'Exports are slow; we are adding workers.',
        'Exports are back to normal speed.',
      ]),
    );
  });

  it('the same token with other contents is not sent: the form comes back with what was typed', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 2, title: 'Login slow' });
    const page = await pm.get(`/admin/incidents/${incident.id}`);
    const token = tokenOf(page.html, 'value="update"');
    await pm.post(`/admin/incidents/${incident.id}`, updateForm(token, 'Logins take 10 seconds.'));
    const other = await pm.post(
      `/admin/incidents/${incident.id}`,
      updateForm(token, 'Logins are fast again.'),
    );
    expect(other.res.status).toBe(409);
    expect(other.html).toContain('This form was already sent once and saved, with other contents');
    expect(other.html).toContain('Logins are fast again.</textarea>');
    expect(tokenOf(other.html, 'value="update"')).not.toBe(token);
    expect(await updatesOf(incident.id)).not.toContain('Logins are fast again.');
  });

  it('a form without the token (a page from before, a script) is saved as before', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 3, title: 'Typo on pricing' });
    await pm.get(`/admin/incidents/${incident.id}`);
    const { _submission: _, ...tokenless } = updateForm('', 'Fixed the typo.');
    const posted = await pm.post(`/admin/incidents/${incident.id}`, tokenless);
    expect(posted.res.headers.get('location')).toBe(`/admin/incidents/${incident.id}?done=updated`);
    expect(await updatesOf(incident.id)).toContain('Fixed the typo.');
  });

  it('a new API token created twice by one form is created once, and the second answer still shows its secret', async () => {
    const page = await admin.get('/admin/tokens');
    const form = {
      _action: 'create',
      _submission: tokenOf(page.html, 'value="create"'),
      name: 'pager-once',
      role: 'responder',
    };
    const [a, b] = await Promise.all([
      admin.post('/admin/tokens', form),
      admin.post('/admin/tokens', form),
    ]);
    expect([a.res.status, b.res.status]).toEqual([200, 200]);
    const secretOf = (html: string) => /<pre class="secret">(hrld_[^<]+)<\/pre>/.exec(html)?.[1];
    expect(secretOf(a.html)).toBeDefined();
    expect(secretOf(b.html)).toBe(secretOf(a.html));
    expect(
      await t.deps.db.select().from(apiTokens).where(eq(apiTokens.name, 'pager-once')),
    ).toHaveLength(1);
  });

  it('the resolve confirmation sent twice resolves once; the second answer lands on the resolved incident', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Queue stuck' });
    await pm.get(`/admin/incidents/${incident.id}`);
    const asked = await pm.post(`/admin/incidents/${incident.id}`, {
      _action: 'resolve',
      body: 'All clear: the queue is moving.',
    });
    expect(asked.res.status).toBe(200);
    const form = {
      _action: 'resolve',
      _submission: tokenOf(asked.html, 'name="confirmed"'),
      confirmed: '1',
      body: 'All clear: the queue is moving.',
    };
    const first = await pm.post(`/admin/incidents/${incident.id}`, form);
    const again = await pm.post(`/admin/incidents/${incident.id}`, form);
    expect(first.res.headers.get('location')).toBe(`/admin/incidents/${incident.id}?done=resolved`);
    expect(again.res.headers.get('location')).toBe(
      `/admin/incidents/${incident.id}?done=resolved&sent=again`,
    );
    expect(
      (await updatesOf(incident.id)).filter((b) => b === 'All clear: the queue is moving.'),
    ).toHaveLength(1);
  });
});

describe('a second click while the first is still running', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let rx: Receiver;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    rx = await startReceiver();
  });
  afterAll(async () => {
    await rx?.close();
    await site?.close();
    await t?.close();
  });

  it('waits for the first and lands where it went: one test delivery, not two', async () => {
    const { webhook } = await createWebhook(t.deps, { url: rx.url, allowPrivate: true }, testActor);
    const admin = new FormClient(site.base);
    await admin.login((await makeUser(t, 'admin')).email);
    const page = await admin.get(`/admin/webhooks/${webhook.id}`);
    const form = { _action: 'test', _submission: tokenOf(page.html, 'value="test"') };
    let answer!: () => void;
    rx.next({ status: 200, until: new Promise<void>((resolve) => (answer = resolve)) });
    const first = admin.post(`/admin/webhooks/${webhook.id}`, form);
    await rx.arrived(1);
    // The first is at the receiver. Another process holds the write lock, so the second's claim
    // of the token waits in this process's queue of writes, ahead of the first's own last
    // writes: it finds the first still running, whatever the timing.
    const lock = await holdWriteLock(t.dbUrl, 'until-released');
    let second!: ReturnType<FormClient['post']>;
    try {
      second = admin.post(`/admin/webhooks/${webhook.id}`, form);
      await expect.poll(() => writeWait(t.deps.db)?.fault, { interval: 5 }).toBe('busy');
      answer();
    } finally {
      lock.release();
      await lock.released;
    }
    const [a, b] = await Promise.all([first, second]);
    expect(a.res.headers.get('location')).toBe(`/admin/webhooks/${webhook.id}?done=test-200`);
    expect(b.res.headers.get('location')).toBe(
      `/admin/webhooks/${webhook.id}?done=test-200&sent=again`,
    );
    expect(rx.received).toHaveLength(1);
    const shown = await admin.get(b.res.headers.get('location')!);
    expect(shown.html).toContain(SAVED_ONCE);
  });
});

describe('an admin form sent to two Herald processes at once', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let other: Awaited<ReturnType<typeof startSiteOnDatabase>>;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    other = await startSiteOnDatabase(t.dbUrl, t.clock.now());
  });
  afterAll(async () => {
    await other?.stop();
    await site?.close();
    await t?.close();
  });

  it('runs once: one update, one broadcast, and both answers land on the incident', async () => {
    await makeConfirmedSubscriber(t.deps, 'stakeholder@example.org');
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'API errors' });
    const u = await makeUser(t, 'responder');
    const here = new FormClient(site.base);
    await here.login(u.email);
    const page = await here.get(`/admin/incidents/${incident.id}`);
    // The same browser session, its second click routed to the other process.
    const there = new FormClient(other.base);
    there.cookies = new Map(here.cookies);
    there.csrf = here.csrf;
    const before = (
      await t.deps.db.select().from(broadcasts).where(eq(broadcasts.incidentId, incident.id))
    ).length;
    const form = {
      _action: 'update',
      _submission: tokenOf(page.html, 'value="update"'),
      status: 'identified',
      body: 'A bad deploy; rolling back.',
      notifyShown: '1',
      notify: 'on',
      nextIn: '30',
    };
    const answers = await Promise.all([
      here.post(`/admin/incidents/${incident.id}`, form),
      there.post(`/admin/incidents/${incident.id}`, form),
    ]);
    expect(answers.map((a) => a.res.status)).toEqual([303, 303]);
    expect(answers.map((a) => a.res.headers.get('location')).sort()).toEqual([
      `/admin/incidents/${incident.id}?done=updated`,
      `/admin/incidents/${incident.id}?done=updated&sent=again`,
    ]);
    const updates = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id));
    expect(updates.filter((r) => r.body === 'A bad deploy; rolling back.')).toHaveLength(1);
    const after = await t.deps.db
      .select()
      .from(broadcasts)
      .where(eq(broadcasts.incidentId, incident.id));
    expect(after).toHaveLength(before + 1);
  });

  it('a new token repeated on the other process is created once; the repeat says its secret went to the first answer', async () => {
    const a = await makeUser(t, 'admin');
    const here = new FormClient(site.base);
    await here.login(a.email);
    const page = await here.get('/admin/tokens');
    const there = new FormClient(other.base);
    there.cookies = new Map(here.cookies);
    there.csrf = here.csrf;
    const form = {
      _action: 'create',
      _submission: tokenOf(page.html, 'value="create"'),
      name: 'pager-across',
      role: 'responder',
    };
    const first = await here.post('/admin/tokens', form);
    expect(first.res.status).toBe(200);
    const secret = /<pre class="secret">(hrld_[^<]+)<\/pre>/.exec(first.html)![1]!;
    const repeat = await there.post('/admin/tokens', form);
    expect(repeat.res.status).toBe(303);
    expect(repeat.res.headers.get('location')).toBe('/admin/tokens?sent=again-shown');
    const shown = await there.get(repeat.res.headers.get('location')!);
    expect(shown.html).toContain(
      'What it showed only once (a new secret) went to the first answer',
    );
    expect(shown.html).not.toContain(secret);
    expect(
      await t.deps.db.select().from(apiTokens).where(eq(apiTokens.name, 'pager-across')),
    ).toHaveLength(1);
  });
});
