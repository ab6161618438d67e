import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  broadcasts,
  incidentFollowers,
  incidents,
  incidentUpdates,
  subscribers,
} from '../../db/schema/index.ts';
import { createList } from '../../server/domain/lists/create-list.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite, useSite } from '../helpers/site.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

describe('notify choice and resolve confirmation on the incident forms', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let pm: FormClient;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    for (const n of [1, 2, 3]) await makeConfirmedSubscriber(t.deps, `reader${n}@example.org`);
    const u = await makeUser(t, 'responder');
    pm = new FormClient(site.base);
    await pm.login(u.email);
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  const broadcastsFor = (incidentId: string) =>
    t.deps.db.select().from(broadcasts).where(eq(broadcasts.incidentId, incidentId));

  it('says beside the notify choice that the incident’s followers get every update, ticked or not', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 2, title: 'Slow exports' });
    const before = await pm.get(`/admin/incidents/${incident.id}`);
    expect(before.html).not.toContain('data-followers');
    const now = t.clock.now();
    for (const [n, state] of [
      [1, 'confirmed'],
      [2, 'confirmed'],
      [3, 'pending'],
    ] as const)
      await t.deps.db.insert(incidentFollowers).values({
        id: `follower${n}`,
        incidentId: incident.id,
        email: `follower${n}@example.org`,
        state,
        createdAt: now,
        confirmedAt: state === 'confirmed' ? now : null,
        updatedAt: now,
      });
    const after = await pm.get(`/admin/incidents/${incident.id}`);
    // Two confirmed followers; the one who never confirmed gets nothing and is not counted.
    expect(after.html).toMatch(
      /Followers of this incident get every update, ticked or not:\s+2 people by email\./,
    );
  });

  it('lets an admin see who follows an incident by email and stop one; a responder sees only the count', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 2, title: 'Slow search' });
    const now = t.clock.now();
    for (const n of [4, 5])
      await t.deps.db.insert(incidentFollowers).values({
        id: `follower${n}`,
        incidentId: incident.id,
        email: `follower${n}@example.org`,
        state: 'confirmed',
        createdAt: now,
        confirmedAt: now,
        updatedAt: now,
      });
    // The responder: counts, no addresses, no remove buttons.
    const asResponder = await pm.get(`/admin/incidents/${incident.id}`);
    expect(asResponder.html).toMatch(/ticked or not:\s+2 people by email\./);
    expect(asResponder.html).not.toContain('follower4@example.org');
    const refused = await pm.post(`/admin/incidents/${incident.id}`, {
      _action: 'remove-follower',
      followerId: 'follower4',
    });
    expect(refused.res.status).toBe(403);
    // The admin sees both and stops one.
    const a = await makeUser(t, 'admin');
    const admin = new FormClient(site.base);
    await admin.login(a.email);
    const page = await admin.get(`/admin/incidents/${incident.id}`);
    expect(page.html).toContain('follower4@example.org');
    expect(page.html).toContain('follower5@example.org');
    const done = await admin.post(`/admin/incidents/${incident.id}`, {
      _action: 'remove-follower',
      followerId: 'follower4',
    });
    expect(done.res.status).toBe(303);
    const after = await admin.get(done.res.headers.get('location')!);
    expect(after.html).toContain('Follower removed');
    expect(after.html).not.toContain('follower4@example.org');
    expect(after.html).toMatch(/ticked or not:\s+1 person by email\./);
    const rows = await t.deps.db
      .select({ id: incidentFollowers.id, state: incidentFollowers.state })
      .from(incidentFollowers)
      .where(eq(incidentFollowers.incidentId, incident.id))
      .orderBy(incidentFollowers.id);
    expect(rows).toEqual([
      { id: 'follower4', state: 'unsubscribed' },
      { id: 'follower5', state: 'confirmed' },
    ]);
    // A follower of another incident cannot be removed through this one.
    const other = await admin.post(`/admin/incidents/${incident.id}`, {
      _action: 'remove-follower',
      followerId: 'follower1',
    });
    expect(other.res.status).toBe(404);
  });

  it('resolving asks for a confirmation that says how many people will be mailed, and changes nothing until confirmed', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Search down' });
    await pm.get(`/admin/incidents/${incident.id}`);
    const asked = await pm.post(`/admin/incidents/${incident.id}`, {
      _action: 'resolve',
      body: 'Search works again.',
    });
    expect(asked.res.status).toBe(200);
    expect(asked.html).toContain('mail the all-clear to 3 people?');
    expect(asked.html).toContain('name="confirmed" value="1"');
    const [still] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(still!.status).toBe('investigating');
    const before = (await broadcastsFor(incident.id)).length;
    const done = await pm.post(`/admin/incidents/${incident.id}`, {
      _action: 'resolve',
      body: 'Search works again.',
      confirmed: '1',
    });
    expect(done.res.status).toBe(303);
    const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row!.status).toBe('resolved');
    const after = await broadcastsFor(incident.id);
    expect(after.length).toBe(before + 1);
    expect(after.find((b) => b.kind === 'incident_resolved')?.total).toBe(3);
  });

  it('the all-clear text thanks people once: the default text leaves the thank-you to the email', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Thanks once' });
    const page = await pm.get(`/admin/incidents/${incident.id}`);
    const allClear = /<textarea id="f-allclear" name="body"[^>]*>([^<]*)</.exec(page.html)![1]!;
    expect(allClear).not.toMatch(/thank/i);
    // The preview shows the email: exactly one thank-you with the default text.
    const preview = await pm.post(`/admin/incidents/${incident.id}`, {
      _action: 'resolve',
      body: allClear,
      intent: 'preview',
    });
    const thanks = preview.html.match(/Thank you for your patience/g) ?? [];
    expect(thanks.length).toBeGreaterThan(0);
    const textPart = /<pre[^>]*>([\s\S]*?)<\/pre>/.exec(preview.html)?.[1] ?? preview.html;
    expect(textPart.match(/Thank you for your patience/g)).toHaveLength(1);
  });

  it('the update form offers a notify choice with the recipient count, on by default for P1', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Typo in the update' });
    const page = await pm.get(`/admin/incidents/${incident.id}`);
    expect(page.html).toMatch(/name="notify" value="on" checked/);
    expect(page.html).toContain('3 people; on by default for P0/P1');
    const before = (await broadcastsFor(incident.id)).length;
    // Unticked (the box sends nothing, the marker says it was shown): a quiet correction.
    const quiet = await pm.post(`/admin/incidents/${incident.id}`, {
      _action: 'update',
      body: 'Correction: it is the EU region only.',
      notifyShown: '1',
      nextIn: '30',
    });
    expect(quiet.res.status).toBe(303);
    expect((await broadcastsFor(incident.id)).length).toBe(before);
    const rows = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, incident.id));
    expect(rows.map((r) => r.body)).toContain('Correction: it is the EU region only.');
    // Positive control: ticked, the same form mails the list.
    await pm.post(`/admin/incidents/${incident.id}`, {
      _action: 'update',
      body: 'We found the cause.',
      notifyShown: '1',
      notify: 'on',
      nextIn: '30',
    });
    expect((await broadcastsFor(incident.id)).length).toBe(before + 1);
  });

  it('the update form leaves notify off by default for P3', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 3, title: 'Cosmetic glitch' });
    const page = await pm.get(`/admin/incidents/${incident.id}`);
    expect(page.html).toMatch(/name="notify" value="on"(?! checked)/);
    expect(page.html).toContain('off by default for P2/P3');
  });

  it('the declare form offers notify by priority, yes or no, with the recipient counts', async () => {
    const page = await pm.get('/admin/incidents/new');
    expect(page.html).toContain('3 people for P0, 3 people for P1');
    const quiet = await pm.post('/admin/incidents/new', {
      title: 'Quiet P1',
      priority: '1',
      status: 'investigating',
      body: 'Declared without mail.',
      notify: 'no',
    });
    expect(quiet.res.status).toBe(303);
    const id = /\/admin\/incidents\/(\w+)/.exec(quiet.res.headers.get('location')!)![1]!;
    expect(await broadcastsFor(id)).toHaveLength(0);
    const loud = await pm.post('/admin/incidents/new', {
      title: 'Loud P3',
      priority: '3',
      status: 'investigating',
      body: 'Declared with mail.',
      notify: 'yes',
    });
    const loudId = /\/admin\/incidents\/(\w+)/.exec(loud.res.headers.get('location')!)![1]!;
    // P3 lists: the seeded lists take P0/P1 only, so "yes" finds nobody to mail; the update
    // is still marked to notify.
    const [u] = await t.deps.db
      .select()
      .from(incidentUpdates)
      .where(eq(incidentUpdates.incidentId, loudId));
    expect(u!.notify).toBe(true);
  });
});

describe('the declare form’s recipient counts', () => {
  const s = useSite();

  it('count the confirmed readers of each list that takes the priority, and nobody else', async () => {
    await createList(s.t.deps, { name: 'Executives', slug: 'execs', priorities: [0] }, testActor);
    await createList(s.t.deps, { name: 'Low priority', slug: 'low', priorities: [3] }, testActor);
    for (const n of [1, 2]) await makeConfirmedSubscriber(s.t.deps, `reader${n}@example.org`);
    await makeConfirmedSubscriber(s.t.deps, 'ceo@example.org', 'execs');
    await makeConfirmedSubscriber(s.t.deps, 'p3@example.org', 'low');
    // Signed up but never confirmed, and unsubscribed: neither would be mailed.
    for (const [email, state] of [
      ['pending@example.org', 'pending'],
      ['left@example.org', 'unsubscribed'],
    ] as const) {
      const { id } = await makeConfirmedSubscriber(s.t.deps, email);
      await s.t.deps.db.update(subscribers).set({ state }).where(eq(subscribers.id, id));
    }
    const pm = new FormClient(s.site.base);
    await pm.login((await makeUser(s.t, 'responder')).email);
    const page = await pm.get('/admin/incidents/new');
    expect(page.html).toContain('3 people for P0, 2 people for P1');
    // The counts are staff's: a signed-out visitor is sent to sign in and sees none of them.
    const visitor = await new FormClient(s.site.base).get('/admin/incidents/new');
    expect(visitor.res.status).toBe(303);
    expect(visitor.html).not.toContain('people for P0');
  });
});
