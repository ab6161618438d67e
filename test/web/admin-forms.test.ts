import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiTokens, auditLog, incidents, users } from '../../db/schema/index.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { updateUser } from '../../server/domain/users/update-user.ts';
import { contextTemplate, type ContextTemplate } from '../helpers/context-template.ts';
import { testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite, TEST_PASSWORD } from '../helpers/site.ts';

/** The file's template: Rita (responder) and Ada (admin), each signed in once through /login. */
async function signedInPair(t: TestContext) {
  const site = await startSite(t);
  try {
    const rita = await makeUser(t, 'responder', 'rita@example.com');
    await makeUser(t, 'admin', 'ada@example.com');
    const responder = new FormClient(site.base);
    await responder.login('rita@example.com');
    const admin = new FormClient(site.base);
    await admin.login('ada@example.com');
    return { responderId: rita.id, responder, admin };
  } finally {
    await site.close();
  }
}

/** A client on `base` carrying a session signed in on the template (cookies and form token). */
function resume(base: string, from: FormClient): FormClient {
  const c = new FormClient(base);
  c.cookies = new Map(from.cookies);
  c.csrf = from.csrf;
  return c;
}

// Each test gets its own database, clock, settings and sessions: none relies on another's data.
// Each database is a copy of one made for this file with both users signed in, so a test does
// not pay for two password hashes and two password checks (about 0.1 s of CPU each, on purpose).
describe('admin forms (no JavaScript)', () => {
  let template: ContextTemplate<Awaited<ReturnType<typeof signedInPair>>>;
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let responder: FormClient;
  let admin: FormClient;
  let responderId: string;
  beforeAll(async () => {
    template = await contextTemplate(signedInPair);
  });
  afterAll(() => template.close());
  beforeEach(async () => {
    t = await template.context();
    site = await startSite(t);
    responderId = template.value.responderId;
    responder = resume(site.base, template.value.responder);
    admin = resume(site.base, template.value.admin);
  });
  afterEach(async () => {
    await site.close();
    await t.close();
  });

  const idFrom = (location: string | null) => /\/admin\/incidents\/(\w+)/.exec(location ?? '')![1]!;

  it('declares a P1 incident from the form: owner defaults to me, audited as me, public at once', async () => {
    const c = await makeComponent(t.deps, { name: 'Payments' });
    const page = await responder.get('/admin/incidents/new');
    expect(page.html).toContain('Drop everything');
    expect(page.html).toContain('name="template" value="holding"');
    expect(page.html).toMatch(/<option value="[^"]+" selected>rita@example.com \(you\)/);
    const { res } = await responder.post('/admin/incidents/new', {
      title: 'Payments down',
      priority: '1',
      status: 'investigating',
      [`component.${c.id}`]: 'major_outage',
      body: 'Card payments fail.',
      internalNote: 'Sales: offer invoices.',
      nextIn: '15',
      ownerId: responderId,
    });
    expect(res.status).toBe(303);
    const id = idFrom(res.headers.get('location'));
    const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, id));
    expect(row).toMatchObject({ priority: 1, ownerId: responderId });
    expect(row!.nextUpdateDueAt!.getTime()).toBe(t.clock.now().getTime() + 15 * 60_000);
    const [audit] = await t.deps.db.select().from(auditLog).where(eq(auditLog.objectId, id));
    expect(audit).toMatchObject({
      actorType: 'user',
      actorId: responderId,
      actorLabel: 'rita@example.com',
      action: 'incident.declare',
    });
    const summary = await (await fetch(`${site.base}/api/v2/summary.json`)).json();
    expect(summary.incidents[0].name).toBe('Payments down');
    expect(JSON.stringify(summary)).not.toContain('offer invoices');
    const view = await responder.get(res.headers.get('location')!);
    expect(view.html).toContain('Incident declared.');
    expect(view.html).toContain('Sales: offer invoices.');
  });

  it('shows the form again with what was typed and exactly what is wrong', async () => {
    const c = await makeComponent(t.deps, { name: 'Search' });
    const { res, html } = await responder.post('/admin/incidents/new', {
      title: '   ',
      priority: '',
      [`component.${c.id}`]: 'partial_outage',
      body: 'Search is slow <b>really</b>',
      nextIn: 'at',
      nextAt: '',
    });
    expect(res.status).toBe(422);
    expect(html).toContain('Please fix the');
    expect(html).toMatch(/Title<\/a>: is required/);
    expect(html).toMatch(/Priority<\/a>: must be 0, 1, 2 or 3/);
    expect(html).toContain('Search is slow &lt;b&gt;really&lt;/b&gt;');
    expect(html).toMatch(
      new RegExp(`name="component\\.${c.id}"[\\s\\S]*?<option value="partial_outage" selected>`),
    );
    expect(html).not.toContain('<b>really</b>');
    expect(await t.deps.db.select().from(incidents).where(eq(incidents.title, ''))).toHaveLength(0);
  });

  it('refuses a disabled owner on the declare form, keeping what was typed and declaring nothing', async () => {
    const leaver = await makeUser(t, 'responder', 'leaver@example.com');
    await updateUser(t.deps, { userId: leaver.id, disabled: true }, testActor);
    const before = (await t.deps.db.select().from(incidents)).length;
    const { res, html } = await responder.post('/admin/incidents/new', {
      title: 'Owned by a leaver',
      priority: '2',
      body: 'Investigating.',
      nextIn: '30',
      ownerId: leaver.id,
    });
    expect(res.status).toBe(422);
    expect(html).toContain('no such active user');
    expect(html).toContain('value="Owned by a leaver"');
    expect((await t.deps.db.select().from(incidents)).length).toBe(before);
  });

  it('fills the holding template without sending anything, keeping the title', async () => {
    const before = (await t.deps.db.select().from(incidents)).length;
    const { res, html } = await responder.post('/admin/incidents/new', {
      title: 'Login slow',
      priority: '2',
      body: '',
      nextIn: '30',
      template: 'holding',
    });
    expect(res.status).toBe(200);
    expect(html).toContain('value="Login slow"');
    expect(html).toContain(
      'Nothing to update. Still investigating. Next update in 30 minutes.</textarea>',
    );
    expect((await t.deps.db.select().from(incidents)).length).toBe(before);
  });

  it('posts the one-click holding update and promises the next one in 30 minutes', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Everything down' });
    await responder.get(`/admin/incidents/${incident.id}`);
    t.clock.advance(20 * 60_000);
    const { res } = await responder.post(`/admin/incidents/${incident.id}`, {
      _action: 'holding',
      body: 'Nothing to update. Still investigating. Next update in 30 minutes.',
      nextIn: '30',
    });
    expect(res.status).toBe(303);
    const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row!.nextUpdateDueAt!.getTime()).toBe(t.clock.now().getTime() + 30 * 60_000);
    const pub = await (await fetch(`${site.base}/incidents/${incident.id}`)).text();
    expect(pub).toContain('Nothing to update. Still investigating.');
  });

  it('shows an overdue promise loudly on the dashboard', async () => {
    const { incident } = await makeIncident(t.deps, {
      priority: 1,
      title: 'Webhooks delayed',
      nextUpdateInMinutes: 15,
    });
    t.clock.advance(20 * 60_000);
    const { html } = await responder.get('/admin');
    expect(html).toContain('past the promised update time');
    expect(html).toMatch(/Webhooks delayed[\s\S]*?OVERDUE by 5 min/);
    // Positive control for the banner: once the promise is answered, it goes.
    await responder.post(`/admin/incidents/${incident.id}`, {
      _action: 'resolve',
      body: 'Fixed.',
      confirmed: '1',
    });
    expect((await responder.get('/admin')).html).not.toContain('past the promised update time');
  });

  it('changes priority only with a reason; the reason stays in the admin timeline, off the public page', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 3, title: 'Typo on pricing page' });
    await responder.get(`/admin/incidents/${incident.id}`);
    const missing = await responder.post(`/admin/incidents/${incident.id}`, {
      _action: 'priority',
      priority: '2',
      reason: '',
    });
    expect(missing.res.status).toBe(422);
    expect(missing.html).toMatch(/Reason<\/a>: is required/);
    const ok = await responder.post(`/admin/incidents/${incident.id}`, {
      _action: 'priority',
      priority: '2',
      reason: 'Legal says the wrong price is binding',
    });
    expect(ok.res.status).toBe(303);
    const view = await responder.get(`/admin/incidents/${incident.id}`);
    expect(view.html).toContain('Priority P3 → P2');
    expect(view.html).toContain('Legal says the wrong price is binding');
    const pub = await (await fetch(`${site.base}/incidents/${incident.id}`)).text();
    expect(pub).not.toContain('Legal says');
    expect(pub).not.toContain('Priority changed');
  });

  it('resolves with the all-clear message once confirmed', async () => {
    const c = await makeComponent(t.deps);
    const { incident } = await makeIncident(t.deps, {
      components: [{ componentId: c.id, status: 'major_outage' }],
    });
    const page = await responder.get(`/admin/incidents/${incident.id}`);
    // The email opens with its own thank-you, so the default text does not thank again.
    expect(page.html).toContain('Everything works normally again.</textarea>');
    const asked = await responder.post(`/admin/incidents/${incident.id}`, {
      _action: 'resolve',
      body: 'Everything works normally again.',
    });
    expect(asked.res.status).toBe(200);
    expect(asked.html).toContain('Yes, resolve and mail');
    const { res } = await responder.post(`/admin/incidents/${incident.id}`, {
      _action: 'resolve',
      body: 'Everything works normally again.',
      confirmed: '1',
    });
    expect(res.status).toBe(303);
    const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row!.status).toBe('resolved');
  });

  it('lets a responder set component status but not create components', async () => {
    const c = await makeComponent(t.deps, { name: 'CDN' });
    const page = await responder.get('/admin/components');
    expect(page.html).not.toContain('Add a component or group');
    const set = await responder.post('/admin/components', {
      _action: 'status',
      id: c.id,
      status: 'degraded_performance',
    });
    expect(set.res.status).toBe(303);
    const create = await responder.post('/admin/components', { _action: 'create', name: 'Sneaky' });
    expect(create.res.status).toBe(403);
    expect(create.html).toContain('Only an admin can do this.');
  });

  it('keeps admin-only pages from responders', async () => {
    for (const path of ['/admin/settings', '/admin/users', '/admin/tokens', '/admin/audit']) {
      const { res, html } = await responder.get(path);
      expect(res.status, path).toBe(403);
      expect(html).toContain('needs the admin role');
    }
    const post = await responder.post('/admin/users', {
      _action: 'create',
      email: 'x@example.com',
      role: 'admin',
      password: 'long enough pw',
    });
    expect(post.res.status).toBe(403);
    expect(
      await t.deps.db.select().from(users).where(eq(users.email, 'x@example.com')),
    ).toHaveLength(0);
  });

  it('lets an admin create, rename, reorder and delete components', async () => {
    await admin.get('/admin/components');
    const g = await admin.post('/admin/components', {
      _action: 'create',
      name: 'Edge',
      isGroup: 'on',
    });
    expect(g.res.status).toBe(303);
    const bad = await admin.post('/admin/components', {
      _action: 'create',
      name: '',
      description: 'keep me',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toMatch(/Name<\/a>: is required/);
    expect(bad.html).toContain('value="keep me"');
    const list = await t.deps.reader.components();
    const group = list.components.find((c) => c.name === 'Edge')!;
    await admin.post('/admin/components', {
      _action: 'create',
      name: 'Edge DNS',
      groupId: group.id,
    });
    const dns = (await t.deps.reader.components()).components.find((c) => c.name === 'Edge DNS')!;
    expect(dns.group_id).toBe(group.id);
    expect(
      (
        await admin.post('/admin/components', {
          _action: 'edit',
          id: dns.id,
          name: 'DNS',
          description: 'Name servers',
          groupId: group.id,
        })
      ).res.status,
    ).toBe(303);
    expect(
      (await admin.post('/admin/components', { _action: 'up', id: group.id })).res.status,
    ).toBe(303);
    expect(
      (await admin.post('/admin/components', { _action: 'delete', id: group.id })).res.status,
    ).toBe(409);
    expect(
      (await admin.post('/admin/components', { _action: 'delete', id: dns.id })).res.status,
    ).toBe(303);
    const after = (await t.deps.reader.components()).components;
    expect(after.find((c) => c.id === dns.id)).toBeUndefined();
  });

  it('validates the time zone as IANA and keeps what was typed', async () => {
    await admin.get('/admin/settings');
    const bad = await admin.post('/admin/settings', {
      pageName: 'Acme Status',
      publicUrl: 'https://status.acme.test',
      timeZone: 'Mars/Olympus',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toMatch(/Time zone<\/a>: must be an IANA time zone/);
    expect(bad.html).toContain('value="Acme Status"');
    const ok = await admin.post('/admin/settings', {
      pageName: 'Acme Status',
      publicUrl: '',
      timeZone: 'America/New_York',
    });
    expect(ok.res.status).toBe(303);
    expect((await t.deps.reader.page()).time_zone).toBe('America/New_York');
  });

  it('lets an admin add users and show a new token once', async () => {
    await admin.get('/admin/users');
    const u = await admin.post('/admin/users', {
      _action: 'create',
      email: 'newbie@example.com',
      role: 'responder',
      password: 'long enough pw',
    });
    expect(u.res.status).toBe(303);
    await admin.get('/admin/tokens');
    const tok = await admin.post('/admin/tokens', {
      _action: 'create',
      name: 'pager',
      role: 'responder',
    });
    expect(tok.res.status).toBe(200);
    const secret = /<pre class="secret">(hrld_[^<]+)<\/pre>/.exec(tok.html)![1]!;
    expect(
      (await fetch(`${site.base}/api/admin/me`, { headers: { authorization: `Bearer ${secret}` } }))
        .status,
    ).toBe(200);
    const list = await admin.get('/admin/tokens');
    expect(list.html).not.toContain(secret);
    const [row] = await t.deps.db.select().from(apiTokens).where(eq(apiTokens.name, 'pager'));
    expect((await admin.post('/admin/tokens', { _action: 'revoke', id: row!.id })).res.status).toBe(
      303,
    );
    expect(
      (await fetch(`${site.base}/api/admin/me`, { headers: { authorization: `Bearer ${secret}` } }))
        .status,
    ).toBe(401);
  });

  it('shows the audit log filtered by actor and object, escaping what people typed', async () => {
    const c = await makeComponent(t.deps, { name: '<img src=x onerror=alert(1)>' });
    await responder.get('/admin/components');
    await responder.post('/admin/components', {
      _action: 'status',
      id: c.id,
      status: 'major_outage',
    });
    const { html } = await admin.get(
      `/admin/audit?actor=rita%40example.com&object_type=component&object_id=${c.id}`,
    );
    expect(html).toContain('component.set_status');
    expect(html).not.toContain('component.create');
    const all = await admin.get(`/admin/audit?object_id=${c.id}`);
    expect(all.html).toContain('component.create');
    expect(all.html).not.toContain('<img src=x');
  });

  it('hands an incident over to another user, audited, without touching the public page', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Handover' });
    const counter = await t.deps.reader.changeCounter();
    await responder.get(`/admin/incidents/${incident.id}`);
    const [ada] = await t.deps.db.select().from(users).where(eq(users.email, 'ada@example.com'));
    const { res } = await responder.post(`/admin/incidents/${incident.id}`, {
      _action: 'owner',
      ownerId: ada!.id,
    });
    expect(res.status).toBe(303);
    const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row!.ownerId).toBe(ada!.id);
    const entries = await t.deps.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.objectId, incident.id));
    expect(entries.find((e) => e.action === 'incident.change_owner')).toMatchObject({
      actorLabel: 'rita@example.com',
      after: { ownerId: ada!.id },
    });
    expect(await t.deps.reader.changeCounter()).toBe(counter);
    const bad = await responder.post(`/admin/incidents/${incident.id}`, {
      _action: 'owner',
      ownerId: 'nobody-here',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('no such active user');
  });

  it('lets a user change their own password with the current one, keeping this session', async () => {
    await makeUser(t, 'responder', 'self@example.com');
    const me = new FormClient(site.base);
    await me.login('self@example.com');
    const other = new FormClient(site.base);
    await other.login('self@example.com');
    await me.get('/admin/account');
    const wrong = await me.post('/admin/account', {
      currentPassword: 'not it',
      newPassword: 'brand new password',
      newPasswordConfirm: 'brand new password',
    });
    expect(wrong.res.status).toBe(422);
    expect(wrong.html).toContain('is not your current password');
    const ok = await me.post('/admin/account', {
      currentPassword: TEST_PASSWORD,
      newPassword: 'brand new password',
      newPasswordConfirm: 'brand new password',
    });
    expect(ok.res.status).toBe(303);
    expect((await me.get('/admin')).res.status).toBe(200);
    expect((await other.get('/admin')).res.status).toBe(303);
    const again = new FormClient(site.base);
    await again.login('self@example.com', 'brand new password');
  });

  it('lists recent incidents for the team, resolved ones and drills included', async () => {
    const { incident: done } = await makeIncident(t.deps, { title: 'Typo on pricing page' });
    await resolveIncident(t.deps, { incidentId: done.id }, testActor);
    const { incident: drill } = await makeIncident(t.deps, {
      title: 'Practice outage',
      isDrill: true,
    });
    const { html, res } = await responder.get('/admin/incidents');
    expect(res.status).toBe(200);
    expect(html).toContain('Practice outage');
    expect(html).toContain(`/admin/incidents/${drill.id}`);
    expect(html).toContain('Typo on pricing page');
    expect(html).toMatch(/<a href="\/admin\/incidents" aria-current="page">Incidents<\/a>/);
  });
});
