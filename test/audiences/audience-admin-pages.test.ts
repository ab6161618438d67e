import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as schema from '../../db/schema/index.ts';
import { makeComponent } from '../helpers/factories.ts';
import { startTestServer, type ServerContext } from '../helpers/server.ts';
import { FormClient, makeUser } from '../helpers/site.ts';

// The audience admin pages and the per-audience boxes of the declare and update forms, driven
// as a browser without JavaScript would: real forms, CSRF, redirects, the built site.
describe('audience admin pages', () => {
  let s: ServerContext;
  let admin: FormClient;
  let checkoutId: string;
  let billingId: string;

  const audienceRows = () => s.deps.db.select().from(schema.audiences);
  const auditCount = async () => (await s.deps.db.select().from(schema.auditLog)).length;

  beforeAll(async () => {
    s = await startTestServer();
    checkoutId = (await makeComponent(s.deps, { name: 'Checkout' })).id;
    billingId = (await makeComponent(s.deps, { name: 'Internal billing' })).id;
    await makeUser(s, 'admin', 'root@herald.test');
    await makeUser(s, 'responder', 'pm@herald.test');
    await makeUser(s, 'responder', 'ana@acme.com');
    admin = new FormClient(s.url);
    await admin.login('root@herald.test');
  });
  afterAll(() => s.close());

  it('defines an audience from the form and shows its page and feed addresses', async () => {
    await admin.get('/admin/audiences');
    const r = await admin.post('/admin/audiences', {
      name: 'Acme Corp',
      slug: 'acme-corp',
      memberDomains: 'acme.com\nAcme-Holding.com',
      memberEmails: 'cto@partner.example, ops@partner.example',
      componentIds: [checkoutId],
    });
    expect(r.res.status).toBe(303);
    const [row] = await audienceRows();
    expect(row).toMatchObject({
      name: 'Acme Corp',
      slug: 'acme-corp',
      memberDomains: ['acme.com', 'acme-holding.com'],
      memberEmails: ['cto@partner.example', 'ops@partner.example'],
      componentIds: [checkoutId],
      everyoneSignedIn: false,
      seesInternal: false,
    });
    expect(r.res.headers.get('location')).toBe(`/admin/audiences/${row!.id}?done=created`);
    const page = await admin.get(r.res.headers.get('location')!);
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('Audience defined.');
    expect(page.html).toMatch(/\/a\/acme-corp\/history\.rss\?token=[\w-]{20,}/);
    expect(page.html).toContain('/a/acme-corp/api/v2/summary.json?token=');
    // The list names it with its page address and what it sees.
    const list = await admin.get('/admin/audiences');
    expect(list.html).toContain('Acme Corp');
    expect(list.html).toContain('/a/acme-corp');
    expect(list.html).toContain('@acme.com');
  });

  it('shows the form again with what was typed and a 422, changing nothing, when a field is wrong', async () => {
    const before = await audienceRows();
    const audits = await auditCount();
    await admin.get('/admin/audiences');
    const r = await admin.post('/admin/audiences', {
      name: 'Enterprise EU',
      slug: 'Enterprise EU!',
      memberDomains: 'eu.example.com\nnot a domain',
      memberEmails: 'someone-at-nowhere',
      seesInternal: 'on',
    });
    expect(r.res.status).toBe(422);
    expect(r.html).toContain('Please fix the 3 fields marked below.');
    expect(r.html).toContain('value="Enterprise EU"');
    expect(r.html).toContain('value="Enterprise EU!"');
    expect(r.html).toContain('eu.example.com\nnot a domain');
    expect(r.html).toContain('someone-at-nowhere');
    expect(r.html).toMatch(/name="seesInternal" checked/);
    expect(await audienceRows()).toEqual(before);
    expect(await auditCount()).toBe(audits);
  });

  it('refuses a second audience at the same address with a 409 that keeps what was typed', async () => {
    await admin.get('/admin/audiences');
    const r = await admin.post('/admin/audiences', { name: 'Acme again', slug: 'acme-corp' });
    expect(r.res.status).toBe(409);
    expect(r.html).toContain('An audience already has the address /a/acme-corp.');
    expect(r.html).toContain('value="Acme again"');
    expect(await audienceRows()).toHaveLength(1);
  });

  it('refuses a form without its CSRF token and changes nothing', async () => {
    const r = await admin.post(
      '/admin/audiences',
      { name: 'Forged', slug: 'forged' },
      { csrf: null },
    );
    expect(r.res.status).toBe(403);
    expect(await audienceRows()).toHaveLength(1);
  });

  it('keeps the pages and their forms to admins: a responder gets neither', async () => {
    const pm = new FormClient(s.url);
    await pm.login('pm@herald.test');
    const [row] = await audienceRows();
    for (const path of ['/admin/audiences', `/admin/audiences/${row!.id}`]) {
      const page = await pm.get(path);
      expect(page.res.status, path).toBe(403);
      expect(page.html).not.toContain('token=');
    }
    const r = await pm.post(`/admin/audiences/${row!.id}`, { _action: 'delete' });
    expect(r.res.status).toBe(403);
    expect(await audienceRows()).toHaveLength(1);
  });

  it('changes an audience: members, components and internal text, and the member page follows', async () => {
    const [row] = await audienceRows();
    const member = new FormClient(s.url);
    await member.login('ana@acme.com');
    expect((await member.get('/a/acme-corp')).html).not.toContain('Internal billing');

    await admin.get(`/admin/audiences/${row!.id}`);
    const r = await admin.post(`/admin/audiences/${row!.id}`, {
      _action: 'save',
      name: 'Acme Corporation',
      slug: 'acme-corp',
      memberDomains: 'acme.com',
      memberEmails: '',
      componentIds: [checkoutId, billingId],
      seesInternal: 'on',
    });
    expect(r.res.status).toBe(303);
    const [after] = await audienceRows();
    expect(after).toMatchObject({
      name: 'Acme Corporation',
      memberEmails: [],
      componentIds: [checkoutId, billingId],
      seesInternal: true,
    });
    const page = await member.get('/a/acme-corp');
    expect(page.html).toContain('Acme Corporation');
    expect(page.html).toContain('Internal billing');
    expect(page.html).toContain('includes internal notes');
    // Taking the member's domain away closes the page to them: the same 404 as for anyone.
    await admin.get(`/admin/audiences/${row!.id}`);
    await admin.post(`/admin/audiences/${row!.id}`, {
      _action: 'save',
      name: 'Acme Corporation',
      slug: 'acme-corp',
      memberDomains: 'acme-holding.com',
      componentIds: [checkoutId],
    });
    expect((await member.get('/a/acme-corp')).res.status).toBe(404);
    await admin.post(`/admin/audiences/${row!.id}`, {
      _action: 'save',
      name: 'Acme Corp',
      slug: 'acme-corp',
      memberDomains: 'acme.com',
      componentIds: [checkoutId],
    });
    expect((await member.get('/a/acme-corp')).res.status).toBe(200);
  });

  it('gives new feed addresses on request, and the old ones stop working', async () => {
    const [row] = await audienceRows();
    const before = await admin.get(`/admin/audiences/${row!.id}`);
    const oldFeed = /\/a\/acme-corp\/history\.rss\?token=[\w-]+/.exec(before.html)![0];
    expect((await fetch(s.url + oldFeed)).status).toBe(200);
    const r = await admin.post(`/admin/audiences/${row!.id}`, { _action: 'revoke' });
    expect(r.res.status).toBe(303);
    const after = await admin.get(`/admin/audiences/${row!.id}`);
    const newFeed = /\/a\/acme-corp\/history\.rss\?token=[\w-]+/.exec(after.html)![0];
    expect(newFeed).not.toBe(oldFeed);
    expect((await fetch(s.url + oldFeed)).status).toBe(404);
    expect((await fetch(s.url + newFeed)).status).toBe(200);
  });

  it('declares an incident with a text for one audience from the form, the public text for everyone else', async () => {
    const pm = new FormClient(s.url);
    await pm.login('pm@herald.test');
    const form = await pm.get('/admin/incidents/new');
    expect(form.html).toContain('Text for Acme Corp');
    expect(form.html).toContain('name="audienceText.acme-corp"');
    const r = await pm.post('/admin/incidents/new', {
      title: 'Checkout errors',
      priority: '2',
      status: 'investigating',
      body: 'PUBLIC-f7 Some payments fail.',
      'audienceText.acme-corp': 'ACME-f7 Your EU card payments fail.',
      [`component.${checkoutId}`]: 'partial_outage',
      nextIn: 'default',
      notify: 'no',
    });
    expect(r.res.status).toBe(303);
    const incidentId = /\/admin\/incidents\/([\w-]+)/.exec(r.res.headers.get('location')!)![1]!;

    const member = new FormClient(s.url);
    await member.login('ana@acme.com');
    const page = await member.get('/a/acme-corp');
    expect(page.html).toContain('ACME-f7 Your EU card payments fail.');
    expect(page.html).not.toContain('PUBLIC-f7');
    const pub = await (await fetch(`${s.url}/incidents/${incidentId}`)).text();
    expect(pub).toContain('PUBLIC-f7 Some payments fail.');
    expect(pub).not.toContain('ACME-f7');

    // An update from the incident page: a box left empty keeps Acme on the public text.
    await pm.get(`/admin/incidents/${incidentId}`);
    const u = await pm.post(`/admin/incidents/${incidentId}`, {
      _action: 'update',
      status: 'identified',
      body: 'PUBLIC-f7 The card processor is failing.',
      'audienceText.acme-corp': '  ',
      nextIn: 'default',
    });
    expect(u.res.status).toBe(303);
    const again = await member.get('/a/acme-corp');
    expect(again.html).toContain('PUBLIC-f7 The card processor is failing.');
    expect(again.html).toContain('ACME-f7 Your EU card payments fail.');
  });

  it('shows the update form again with every box as typed when an audience text is too long, writing nothing', async () => {
    const [incident] = await s.deps.db.select().from(schema.incidents);
    const updates = async () =>
      s.deps.db
        .select()
        .from(schema.incidentUpdates)
        .where(eq(schema.incidentUpdates.incidentId, incident!.id));
    const before = await updates();
    const pm = new FormClient(s.url);
    await pm.login('pm@herald.test');
    await pm.get(`/admin/incidents/${incident!.id}`);
    const r = await pm.post(`/admin/incidents/${incident!.id}`, {
      _action: 'update',
      status: 'identified',
      body: 'PUBLIC-f8 Still failing.',
      'audienceText.acme-corp': 'x'.repeat(10_001),
      nextIn: 'default',
    });
    expect(r.res.status).toBe(422);
    expect(r.html).toContain('PUBLIC-f8 Still failing.');
    expect(r.html).toContain('x'.repeat(10_001));
    expect(r.html).toMatch(/<details[^>]*id="f-audienceTexts"[^>]*open/);
    expect(await updates()).toEqual(before);
  });

  it('removes an audience with its texts: its page and feeds are gone, the public text stays', async () => {
    const [row] = await audienceRows();
    const before = await admin.get(`/admin/audiences/${row!.id}`);
    const feed = /\/a\/acme-corp\/history\.rss\?token=[\w-]+/.exec(before.html)![0];
    const r = await admin.post(`/admin/audiences/${row!.id}`, { _action: 'delete' });
    expect(r.res.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/admin/audiences?done=removed');
    expect(await audienceRows()).toHaveLength(0);
    expect(await s.deps.db.select().from(schema.updateAudienceTexts)).toHaveLength(0);
    expect((await fetch(s.url + feed)).status).toBe(404);
    const member = new FormClient(s.url);
    await member.login('ana@acme.com');
    expect((await member.get('/a/acme-corp')).res.status).toBe(404);
    expect((await admin.get(`/admin/audiences/${row!.id}`)).res.status).toBe(404);
    const [incident] = await s.deps.db.select().from(schema.incidents);
    const pub = await (await fetch(`${s.url}/incidents/${incident!.id}`)).text();
    expect(pub).toContain('PUBLIC-f7 Some payments fail.');
  });
});
