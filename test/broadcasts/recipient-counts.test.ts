import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { broadcasts, deliveries } from '../../db/schema/index.ts';
import { createList } from '../../server/domain/lists/create-list.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { testWorker } from '../helpers/outbox.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// The PM decides whether to mail on the figure the forms show: it must be the people the
// broadcast then reaches, not the lists' subscriptions added up.
describe('the recipient counts the PM is shown before a broadcast', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let site: Awaited<ReturnType<typeof startSite>>;
  let pm: FormClient;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    site = await startSite(t);
    // An internal list for P0 only, beside the seeded ones that take P0 and P1.
    await createList(
      t.deps,
      { name: 'Executives', slug: 'execs', priorities: [0], isInternal: true },
      testActor,
    );
    // Six subscriptions, four people. One is on the internal and the public list; the boss is
    // on the public list and the P0-only one, so a P1 reaches them through the public list.
    await makeConfirmedSubscriber(t.deps, 'both@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'both@acme.com', 'customers');
    await makeConfirmedSubscriber(t.deps, 'staff@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'reader@example.org', 'customers');
    await makeConfirmedSubscriber(t.deps, 'boss@acme.com', 'execs');
    await makeConfirmedSubscriber(t.deps, 'boss@acme.com', 'customers');
    await makeUser(t, 'responder', 'rita@acme.com');
    pm = new FormClient(site.base);
    await pm.login('rita@acme.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
    await smtp.close();
  });

  const listRecipients = (html: string, slug: string) =>
    new RegExp(`<tr data-list="${slug}">[\\s\\S]*?data-list-recipients="(\\d+)"`).exec(html)?.[1];
  const broadcastOf = async (incidentId: string, kind: string) => {
    const [b] = await t.deps.db
      .select()
      .from(broadcasts)
      .where(and(eq(broadcasts.incidentId, incidentId), eq(broadcasts.kind, kind)));
    return b!;
  };
  const deliveriesOf = (broadcastId: string) =>
    t.deps.db.select().from(deliveries).where(eq(deliveries.broadcastId, broadcastId));

  it('an address on two lists counts once, and one on a list the priority skips still counts, on the declare form, its preview and the incident page, and that many are queued and sent', async () => {
    const form = await pm.get('/admin/incidents/new');
    expect(form.html).toContain('4 people for P0, 4 people for P1');

    const fields = {
      title: 'Checkout down',
      priority: '1',
      status: 'investigating',
      body: 'Payments fail.',
      nextIn: '30',
      notify: 'yes',
    };
    const preview = await pm.post('/admin/incidents/new', { ...fields, intent: 'preview' });
    expect(preview.res.status).toBe(200);
    expect(preview.html).toContain('data-recipients="4"');
    // Each list shows the copies it sends: the shared address is the internal list's.
    expect(listRecipients(preview.html, 'stakeholders')).toBe('2');
    expect(listRecipients(preview.html, 'customers')).toBe('2');
    expect(preview.html).toMatch(
      /Someone on several of these lists gets one email, their most internal list(&#39;|')s, and is counted on that list only\./,
    );

    const declared = await pm.post('/admin/incidents/new', fields);
    expect(declared.res.status).toBe(303);
    const id = /\/admin\/incidents\/(\w+)/.exec(declared.res.headers.get('location')!)![1]!;
    const b = await broadcastOf(id, 'incident_update');
    expect(b.total).toBe(4);
    expect(await deliveriesOf(b.id)).toHaveLength(4);
    await testWorker(t).drain();
    const page = await pm.get(`/admin/broadcasts/${b.id}`);
    expect(page.html).toMatch(/4 sent<\/strong>, 0 queued, 0 failed of 4/);
    expect(smtp.received.flatMap((m) => m.to).sort()).toEqual([
      'boss@acme.com',
      'both@acme.com',
      'reader@example.org',
      'staff@acme.com',
    ]);

    // The incident page's notify choice and the all-clear's review say the same.
    const incident = await pm.get(`/admin/incidents/${id}`);
    expect(incident.html).toContain('4 people; on by default for P0/P1');
    const asked = await pm.post(`/admin/incidents/${id}`, {
      _action: 'resolve',
      body: 'Payments work again.',
    });
    expect(asked.html).toContain('mail the all-clear to 4 people?');
    expect(asked.html).toContain('data-recipients="4"');
    expect(listRecipients(asked.html, 'stakeholders')).toBe('2');
    expect(listRecipients(asked.html, 'customers')).toBe('2');
    const done = await pm.post(`/admin/incidents/${id}`, {
      _action: 'resolve',
      body: 'Payments work again.',
      confirmed: '1',
    });
    expect(done.res.status).toBe(303);
    const allClear = await broadcastOf(id, 'incident_resolved');
    expect(allClear.total).toBe(4);
    expect(await deliveriesOf(allClear.id)).toHaveLength(4);
  });
});
