import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

describe('admin API: lists, subscribers, broadcasts, email preview', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let admin: ReturnType<typeof api>;
  let responder: ReturnType<typeof api>;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    admin = api(t, (await makeToken(t, 'admin')).secret);
    responder = api(t, (await makeToken(t, 'responder')).secret);
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('lists the seeded lists and adds one; responders may not', async () => {
    const r = await admin.get('/api/admin/lists');
    expect(r.status).toBe(200);
    expect(r.json.lists.map((l: { name: string }) => l.name)).toEqual(
      expect.arrayContaining(['Stakeholders', 'Customers']),
    );
    const created = await admin.post('/api/admin/lists', {
      name: 'Drill',
      isInternal: true,
      allowedDomains: ['acme.com'],
      priorities: [0, 1],
      isDrill: true,
    });
    expect(created.status).toBe(201);
    expect(created.json.list).toMatchObject({ slug: 'drill', isDrill: true, priorities: '0,1' });
    expect((await responder.post('/api/admin/lists', { name: 'Nope' })).status).toBe(403);
    const bad = await admin.post('/api/admin/lists', { name: '' });
    expect(bad.status).toBe(422);
    expect(bad.json.error.fields.name).toBeDefined();
  });

  it('imports CSV, searches and removes subscribers', async () => {
    const lists = (await admin.get('/api/admin/lists')).json.lists as {
      id: string;
      slug: string;
    }[];
    const customers = lists.find((l) => l.slug === 'customers')!;
    const imp = await admin.post('/api/admin/subscribers/import', {
      listId: customers.id,
      csv: 'api1@example.org\nbroken\napi2@example.org',
    });
    expect(imp.status).toBe(200);
    expect(imp.json).toMatchObject({
      imported: 2,
      alreadySubscribed: 0,
      rejected: [{ line: 2, value: 'broken', reason: 'not an email address' }],
    });
    const found = await admin.get('/api/admin/subscribers?q=api1');
    expect(found.json.subscribers).toHaveLength(1);
    expect(found.json.subscribers[0]).toMatchObject({
      email: 'api1@example.org',
      state: 'confirmed',
      components: null,
    });
    expect((await admin.del(`/api/admin/subscribers/${found.json.subscribers[0].id}`)).status).toBe(
      200,
    );
    expect((await admin.get('/api/admin/subscribers?q=api1')).json.total).toBe(0);
  });

  it('reports broadcast progress and failed deliveries, and retries them', async () => {
    await makeConfirmedSubscriber(t.deps, 'refused@example.net');
    smtp.reject((to) =>
      to.includes('refused@example.net') ? { code: 554, message: 'Rejected' } : null,
    );
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'API progress' });
    await testWorker(t).drain();
    const list = await responder.get(`/api/admin/broadcasts?incident=${incident.id}`);
    const b = list.json.broadcasts[0];
    expect(b).toMatchObject({
      subject: 'PRIORITY 0 ISSUE UPDATE: API PROGRESS',
      queued: 0,
      failed: 1,
      done: true,
    });
    const one = await responder.get(`/api/admin/broadcasts/${b.id}`);
    expect(one.json.failed).toEqual([
      expect.objectContaining({
        email: 'refused@example.net',
        lastError: expect.stringContaining('554 Rejected'),
      }),
    ]);
    smtp.reject(null);
    const retried = await responder.post(`/api/admin/broadcasts/${b.id}/retry`, {});
    expect(retried.json).toEqual({ retried: 1 });
    await testWorker(t).drain();
    expect((await responder.get(`/api/admin/broadcasts/${b.id}`)).json.broadcast.failed).toBe(0);
    expect(smtp.to('refused@example.net')).toHaveLength(1);
  });

  it('previews the email of a new P1 incident without publishing it', async () => {
    const r = await responder.post('/api/admin/email-preview', {
      title: 'Checkout <slow>',
      priority: 1,
      body: 'Looking into it.',
      internalNote: 'Ask for order numbers.',
    });
    expect(r.status).toBe(200);
    expect(r.json.wouldNotify).toBe(true);
    expect(r.json.internal.subject).toBe('PRIORITY 1 ISSUE UPDATE: CHECKOUT <SLOW>');
    expect(r.json.internal.text).toContain('Ask for order numbers.');
    expect(r.json.public.text).not.toContain('Ask for order numbers.');
    expect(r.json.public.html).toContain('Checkout &lt;slow&gt;');
    expect((await responder.post('/api/admin/email-preview', { body: 'x' })).status).toBe(422);
  });
});
