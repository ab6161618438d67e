import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { broadcasts, incidents, lists, subscribers } from '../../db/schema/index.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { listBySlug, makeConfirmedSubscriber } from '../helpers/subscribers.ts';

describe('admin: lists, subscribers, broadcasts and email previews', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let site: Awaited<ReturnType<typeof startSite>>;
  let admin: FormClient;
  let responder: FormClient;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    site = await startSite(t);
    await makeUser(t, 'admin', 'ada@acme.com');
    await makeUser(t, 'responder', 'rita@acme.com');
    admin = new FormClient(site.base);
    await admin.login('ada@acme.com');
    responder = new FormClient(site.base);
    await responder.login('rita@acme.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
    await smtp.close();
  });
  afterEach(() => {
    smtp.clear();
    smtp.reject(null);
  });

  it('creates and edits a drill list from the lists page', async () => {
    await admin.get('/admin/lists');
    const created = await admin.post('/admin/lists', {
      name: 'Drill',
      isInternal: 'on',
      allowedDomains: 'acme.com',
      priorities: ['0', '1'],
      isDrill: 'on',
    });
    expect(created.res.status).toBe(303);
    const [drill] = await t.deps.db.select().from(lists).where(eq(lists.slug, 'drill'));
    expect(drill).toMatchObject({
      isInternal: true,
      isDrill: true,
      allowedDomains: 'acme.com',
      priorities: '0,1',
    });
    const page = await admin.get('/admin/lists');
    expect(page.html).toContain('Drill');
    expect(page.html).toContain('internal, drill');
    await admin.get(`/admin/lists/${drill!.id}`);
    const bad = await admin.post(`/admin/lists/${drill!.id}`, {
      name: 'Drill',
      allowedDomains: 'not a domain!',
      priorities: '0',
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('must be domains such as example.com');
    expect(bad.html).toContain('value="not a domain!"');
    const saved = await admin.post(`/admin/lists/${drill!.id}`, {
      name: 'Practice',
      isInternal: 'on',
      isDrill: 'on',
      allowedDomains: 'acme.com',
      priorities: '0',
    });
    expect(saved.res.status).toBe(303);
    const [after] = await t.deps.db.select().from(lists).where(eq(lists.id, drill!.id));
    expect(after).toMatchObject({ name: 'Practice', priorities: '0' });
  });

  it('keeps responders out of the subscriber and list pages', async () => {
    expect((await responder.get('/admin/subscribers')).res.status).toBe(403);
    expect((await responder.get('/admin/lists')).res.status).toBe(403);
    expect((await responder.get('/admin/broadcasts')).res.status).toBe(200);
  });

  it('searches subscribers, shows state, components and confirmation time, and removes one', async () => {
    await makeConfirmedSubscriber(t.deps, 'findme@example.org');
    await makeConfirmedSubscriber(t.deps, 'other@example.org');
    const page = await admin.get('/admin/subscribers?q=findme');
    expect(page.html).toContain('findme@example.org');
    expect(page.html).not.toContain('other@example.org');
    expect(page.html).toContain('confirmed');
    expect(page.html).toContain('everything');
    const [s] = await t.deps.db
      .select()
      .from(subscribers)
      .where(eq(subscribers.email, 'findme@example.org'));
    const removed = await admin.post('/admin/subscribers?q=findme', {
      _action: 'remove',
      id: s!.id,
    });
    expect(removed.res.status).toBe(303);
    expect(
      await t.deps.db.select().from(subscribers).where(eq(subscribers.email, 'findme@example.org')),
    ).toHaveLength(0);
  });

  it('imports a CSV of consenting addresses and reports every rejected row with its reason', async () => {
    const stakeholders = await listBySlug(t.deps, 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'already@acme.com', 'stakeholders');
    const csv = [
      'email,components',
      'one@acme.com,',
      'Two@Acme.com,',
      'nope,',
      'outsider@example.org,',
      'one@acme.com,',
      'already@acme.com,',
      'three@acme.com,Nonexistent',
    ].join('\n');
    await admin.get('/admin/subscribers');
    const { res } = await admin.post('/admin/subscribers', {
      _action: 'import',
      listId: stakeholders.id,
      csv,
    });
    // The import runs in the background; its page shows the report once it is done.
    expect(res.status).toBe(303);
    const page = res.headers.get('location')!;
    expect(page).toMatch(new RegExp(`^/admin/lists/${stakeholders.id}/imports/[^/]+$`));
    let html = '';
    await expect
      .poll(async () => (html = (await admin.get(page)).html), { timeout: 10_000 })
      .toContain('Imported 2');
    expect(html).toContain('1 already subscribed');
    expect(html).toContain('4 rejected');
    expect(html).toMatch(/<td>4<\/td><td>nope<\/td><td>not an email address<\/td>/);
    expect(html).toMatch(
      /<td>5<\/td><td>outsider@example.org<\/td><td>not on the list&#39;s domains \(acme.com\)<\/td>/,
    );
    expect(html).toMatch(/<td>6<\/td><td>one@acme.com<\/td><td>appears twice in the file<\/td>/);
    expect(html).toContain('unknown component &quot;Nonexistent&quot;');
    const imported = await t.deps.db
      .select()
      .from(subscribers)
      .where(and(eq(subscribers.listId, stakeholders.id), eq(subscribers.source, 'import')));
    expect(imported.map((s) => s.email).sort()).toEqual(['one@acme.com', 'two@acme.com']);
    expect(imported.every((s) => s.state === 'confirmed')).toBe(true);
    // No confirmation email for imported addresses.
    await testWorker(t).drain();
    expect(smtp.to('one@acme.com')).toHaveLength(0);
  });

  it('shows a broadcast progressing, its failures with the reply, and retries them', async () => {
    await makeConfirmedSubscriber(t.deps, 'good@example.net');
    await makeConfirmedSubscriber(t.deps, 'bad@example.net');
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Progress check' });
    const [b] = await t.deps.db
      .select()
      .from(broadcasts)
      .where(eq(broadcasts.incidentId, incident.id));
    const before = await responder.get(`/admin/broadcasts/${b!.id}`);
    expect(before.html).toContain('PRIORITY 0 ISSUE UPDATE: PROGRESS CHECK');
    expect(before.html).toMatch(/0 sent<\/strong>, \d+ queued, 0 failed of \d+/);
    expect(before.html).toContain('http-equiv="refresh"');

    smtp.reject((to) =>
      to.includes('bad@example.net') ? { code: 550, message: 'Mailbox unavailable' } : null,
    );
    await testWorker(t).drain();
    const after = await responder.get(`/admin/broadcasts/${b!.id}`);
    expect(after.html).toContain('1 failed');
    expect(after.html).toContain('bad@example.net');
    expect(after.html).toContain('550 Mailbox unavailable');
    expect(after.html).not.toContain('http-equiv="refresh"');

    smtp.reject(null);
    const retried = await responder.post(`/admin/broadcasts/${b!.id}`, {});
    expect(retried.res.status).toBe(303);
    await testWorker(t).drain();
    expect(smtp.to('bad@example.net')).toHaveLength(1);
    const done = await responder.get(`/admin/broadcasts/${b!.id}`);
    expect(done.html).toContain('0 failed');
  });

  it('previews the exact email before declaring, and sends a test to me, without declaring anything', async () => {
    await responder.get('/admin/incidents/new');
    const fields = {
      title: 'Website is down',
      priority: '0',
      status: 'investigating',
      body: 'Errors on every page.',
      internalNote: 'Support: take names and numbers.',
      nextIn: '30',
    };
    const preview = await responder.post('/admin/incidents/new', { ...fields, intent: 'preview' });
    expect(preview.res.status).toBe(200);
    expect(preview.html).toContain('PRIORITY 0 ISSUE UPDATE: WEBSITE IS DOWN');
    expect(preview.html).toContain('Errors on every page.');
    expect(preview.html).toContain('Support: take names and numbers.');
    expect(preview.html).toContain('Next update by 12:30 UTC.');
    expect(preview.html).toContain('value="Website is down"');
    expect(
      await t.deps.db.select().from(incidents).where(eq(incidents.title, 'Website is down')),
    ).toHaveLength(0);

    const test = await responder.post('/admin/incidents/new', { ...fields, intent: 'test' });
    expect(test.html).toContain('A test of this email is on its way to rita@acme.com');
    await testWorker(t).drain();
    const [mail] = smtp.to('rita@acme.com');
    expect(mail!.parsed.subject).toBe('[TEST] PRIORITY 0 ISSUE UPDATE: WEBSITE IS DOWN');
    expect(mail!.parsed.text).toContain('Support: take names and numbers.');
    expect(
      await t.deps.db.select().from(incidents).where(eq(incidents.title, 'Website is down')),
    ).toHaveLength(0);
  });

  it('previews the all-clear on the incident page', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Slow search' });
    await responder.get(`/admin/incidents/${incident.id}`);
    const r = await responder.post(`/admin/incidents/${incident.id}`, {
      _action: 'resolve',
      body: 'Search is fast again.',
      intent: 'preview',
    });
    expect(r.html).toContain('PRIORITY 1 ISSUE RESOLVED: SLOW SEARCH');
    expect(r.html).toContain('Thank you for your patience');
    const [row] = await t.deps.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(row!.status).not.toBe('resolved');
  });
});
