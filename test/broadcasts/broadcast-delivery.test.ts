import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { broadcasts, deliveries, incidents } from '../../db/schema/index.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createList } from '../../server/domain/lists/create-list.ts';
import { countUpdateRecipients } from '../../server/domain/broadcasts/enqueue-update-broadcast.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

describe('broadcasting incident updates', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  afterEach(() => {
    smtp.clear();
    smtp.reject(null);
  });

  it('a P0 update reaches a confirmed subscriber with the impact subject, list headers and its stable Message-ID', async () => {
    await makeConfirmedSubscriber(t.deps, 'p0@example.org');
    const { incident } = await makeIncident(t.deps, {
      priority: 0,
      title: 'Website is down',
      body: 'We are looking into it.',
      nextUpdateAt: new Date('2026-11-21T14:30:00Z'),
    });
    const { worker, drain } = testWorker(t);
    await drain();
    const [mail] = smtp.to('p0@example.org');
    expect(mail).toBeDefined();
    // A public list hears impact; the internal list's PRIORITY subject is tested below.
    expect(mail!.parsed.subject).toBe('Major outage: Website is down');
    expect(mail!.header('list-unsubscribe')).toMatch(
      /^<https:\/\/status\.example\.com\/unsubscribe\/[A-Za-z0-9_-]{40,}>$/,
    );
    expect(mail!.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(mail!.header('list-id')).toBe('"Acme Customers" <customers.status.example.com>');
    // RFC 3834: auto-responders (vacation replies) stay silent.
    expect(mail!.header('auto-submitted')).toBe('auto-generated');
    expect(mail!.parsed.text).toContain('We are looking into it.');
    expect(mail!.parsed.text).toContain('Status: Investigating');
    expect(mail!.parsed.text).toContain('Next update by 14:30 UTC.');
    expect(mail!.parsed.text).toContain(`https://status.example.com/incidents/${incident.id}`);
    expect(mail!.parsed.text).toMatch(
      /Manage your subscription: https:\/\/status\.example\.com\/manage\//,
    );
    expect(mail!.parsed.html).toContain('Next update by 14:30 UTC.');
    const [b] = await t.deps.db
      .select()
      .from(broadcasts)
      .where(eq(broadcasts.incidentId, incident.id));
    const [d] = await t.deps.db.select().from(deliveries).where(eq(deliveries.broadcastId, b!.id));
    expect(d).toMatchObject({ state: 'sent', attempts: 1 });
    expect(mail!.parsed.messageId).toBe(d!.messageId);
    expect(worker.batchSize).toBeGreaterThan(0);
  });

  it('puts the internal note only into mail for internal lists', async () => {
    await makeConfirmedSubscriber(t.deps, 'insider@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'outsider@example.org', 'customers');
    await makeIncident(t.deps, {
      priority: 1,
      title: 'Slow checkout',
      body: 'Checkout is slow.',
      internalNote: 'Tell callers to retry; root cause is the DB failover.',
    });
    await testWorker(t).drain();
    const inside = smtp.to('insider@acme.com')[0]!;
    const outside = smtp.to('outsider@example.org')[0]!;
    expect(inside.parsed.subject).toBe('PRIORITY 1 ISSUE UPDATE: SLOW CHECKOUT');
    expect(inside.parsed.text).toContain('Tell callers to retry; root cause is the DB failover.');
    expect(inside.parsed.html).toContain('Tell callers to retry; root cause is the DB failover.');
    expect(outside.raw).not.toContain('DB failover');
    expect(outside.parsed.text).toContain('Checkout is slow.');
  });

  it('keeps the internal note out of the public API and the feeds', async () => {
    await makeIncident(t.deps, {
      priority: 0,
      title: 'Secret note check',
      body: 'Public words.',
      internalNote: 'SECRET-INTERNAL-NOTE',
    });
    for (const path of [
      '/api/v2/incidents.json',
      '/api/v2/summary.json',
      '/api/v2/incidents/unresolved.json',
      '/history.rss',
      '/history.atom',
    ]) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(200);
      const body = await res.text();
      expect(body, path).toContain('Public words.');
      expect(body, path).not.toContain('SECRET-INTERNAL-NOTE');
    }
  });

  it('sends nothing for a P2 update (page and feeds only)', async () => {
    await makeConfirmedSubscriber(t.deps, 'p2@example.org');
    const { incident } = await makeIncident(t.deps, { priority: 2, title: 'Minor glitch' });
    await postIncidentUpdate(t.deps, { incidentId: incident.id, body: 'Still minor.' }, testActor);
    await testWorker(t).drain();
    expect(smtp.to('p2@example.org')).toHaveLength(0);
    expect(
      await t.deps.db.select().from(broadcasts).where(eq(broadcasts.incidentId, incident.id)),
    ).toHaveLength(0);
    // Positive control: the same subscriber, worker and relay do carry a P1.
    await makeIncident(t.deps, { priority: 1, title: 'Major glitch' });
    await testWorker(t).drain();
    expect(smtp.to('p2@example.org').map((m) => m.parsed.subject)).toEqual([
      'Partial outage: Major glitch',
    ]);
  });

  it('sends nothing when the update is published with notify off', async () => {
    await makeConfirmedSubscriber(t.deps, 'quiet@example.org');
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Quiet', notify: false });
    await testWorker(t).drain();
    expect(smtp.to('quiet@example.org')).toHaveLength(0);
    // Positive control: the next update of the same incident, with notify on, arrives.
    await postIncidentUpdate(
      t.deps,
      { incidentId: incident.id, body: 'Now we tell.', notify: true },
      testActor,
    );
    await testWorker(t).drain();
    expect(smtp.to('quiet@example.org').map((m) => m.parsed.subject)).toEqual([
      'Major outage: Quiet',
    ]);
  });

  it('an address on an internal and a public list gets one copy, the internal one; counted once on the resolve confirmation', async () => {
    const search = await makeComponent(t.deps, { name: 'Search API' });
    const other = await makeComponent(t.deps, { name: 'Billing' });
    await makeConfirmedSubscriber(t.deps, 'both@acme.com', 'stakeholders');
    await makeConfirmedSubscriber(t.deps, 'both@acme.com', 'customers');
    // On the internal list for another component only: the public list's copy is the one that
    // reaches them.
    await makeConfirmedSubscriber(t.deps, 'billing@acme.com', 'stakeholders', [other.id]);
    await makeConfirmedSubscriber(t.deps, 'billing@acme.com', 'customers');
    const { incident } = await makeIncident(t.deps, {
      priority: 0,
      title: 'Search down',
      body: 'Search answers nothing.',
      internalNote: 'Failover in progress.',
      components: [{ componentId: search.id, status: 'major_outage' }],
    });
    await testWorker(t).drain();
    const both = smtp.to('both@acme.com');
    expect(both.map((m) => m.parsed.subject)).toEqual(['PRIORITY 0 ISSUE UPDATE: SEARCH DOWN']);
    expect(both[0]!.parsed.text).toContain('Failover in progress.');
    const billing = smtp.to('billing@acme.com');
    expect(billing.map((m) => m.parsed.subject)).toEqual(['Major outage: Search down']);
    expect(billing[0]!.raw).not.toContain('Failover');
    // The resolve confirmation's count is the copies that go out: one per address.
    expect(await countUpdateRecipients(t.deps.db, incident.id)).toBe(smtp.received.length);
    expect(new Set(smtp.received.flatMap((m) => m.to)).size).toBe(smtp.received.length);
  });

  it('follows component filters: a chosen component or its group matches, everything-subscribers always match', async () => {
    const group = await makeComponent(t.deps, { name: 'Payments', isGroup: true } as never);
    const cards = await makeComponent(t.deps, { name: 'Cards', groupId: group.id } as never);
    const search = await makeComponent(t.deps, { name: 'Search' });
    await makeConfirmedSubscriber(t.deps, 'cards@example.org', 'customers', [cards.id]);
    await makeConfirmedSubscriber(t.deps, 'group@example.org', 'customers', [group.id]);
    await makeConfirmedSubscriber(t.deps, 'search@example.org', 'customers', [search.id]);
    await makeConfirmedSubscriber(t.deps, 'all@example.org', 'customers', null);
    await makeIncident(t.deps, {
      priority: 0,
      title: 'Cards failing',
      components: [{ componentId: cards.id, status: 'major_outage' }],
    });
    await testWorker(t).drain();
    expect(smtp.to('cards@example.org')).toHaveLength(1);
    expect(smtp.to('group@example.org')).toHaveLength(1);
    expect(smtp.to('all@example.org')).toHaveLength(1);
    expect(smtp.to('search@example.org')).toHaveLength(0);
    expect(smtp.to('cards@example.org')[0]!.parsed.text).toContain(
      'Affected: Cards (major outage)',
    );
  });

  it('sends drills only to drill lists, marked as drills, and real incidents never to drill lists', async () => {
    await createList(
      t.deps,
      { name: 'Drill', isInternal: true, allowedDomains: 'acme.com', isDrill: true },
      testActor,
    );
    await makeConfirmedSubscriber(t.deps, 'driller@acme.com', 'drill');
    await makeConfirmedSubscriber(t.deps, 'regular@example.org', 'customers');
    await makeIncident(t.deps, { priority: 0, title: 'Practice outage', isDrill: true });
    await testWorker(t).drain();
    expect(smtp.to('regular@example.org')).toHaveLength(0);
    // The drill list itself is the positive control: the worker and relay were up.
    const drill = smtp.to('driller@acme.com');
    expect(drill).toHaveLength(1);
    expect(drill[0]!.parsed.subject).toBe('[DRILL] PRIORITY 0 ISSUE UPDATE: PRACTICE OUTAGE');
    expect(drill[0]!.parsed.text).toContain('THIS IS A DRILL');
    smtp.clear();
    await makeIncident(t.deps, { priority: 0, title: 'Real outage' });
    await testWorker(t).drain();
    expect(smtp.to('driller@acme.com')).toHaveLength(0);
    expect(smtp.to('regular@example.org')).toHaveLength(1);
  });

  it('sends the all-clear on resolve, thanking people for their patience', async () => {
    await makeConfirmedSubscriber(t.deps, 'resolve@example.org');
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Login errors' });
    await resolveIncident(t.deps, { incidentId: incident.id }, testActor);
    await testWorker(t).drain();
    const subjects = smtp.to('resolve@example.org').map((m) => m.parsed.subject);
    expect(subjects).toEqual(['Partial outage: Login errors', 'Resolved: Login errors']);
    const allClear = smtp.to('resolve@example.org')[1]!;
    expect(allClear.parsed.text).toContain('Thank you for your patience');
    expect(allClear.parsed.text).not.toContain('Next update by');
    // Positive control: the update before it did promise one.
    expect(smtp.to('resolve@example.org')[0]!.parsed.text).toContain('Next update by');
  });

  it('retries a temporary SMTP failure later with backoff, then delivers', async () => {
    const flaky = await makeConfirmedSubscriber(t.deps, 'flaky@example.org');
    let refusals = 0;
    smtp.reject((to) =>
      to.includes('flaky@example.org') && refusals++ === 0
        ? { code: 451, message: 'Try again later' }
        : null,
    );
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Flaky' });
    const { worker, drain } = testWorker(t);
    await drain();
    expect(smtp.to('flaky@example.org')).toHaveLength(0);
    const [b] = await t.deps.db
      .select()
      .from(broadcasts)
      .where(eq(broadcasts.incidentId, incident.id));
    const [d] = await t.deps.db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.broadcastId, b!.id), eq(deliveries.subscriberId, flaky.id)));
    expect(d!.state).toBe('pending');
    expect(d!.lastError).toContain('451');
    // 30 s base, jitter fixed at 0.5 -> 75% of the delay.
    expect(d!.nextAttemptAt.getTime() - t.clock.now().getTime()).toBe(22_500);
    expect(await worker.runOnce()).toBe(0);
    t.clock.advance(22_500);
    await drain();
    expect(smtp.to('flaky@example.org')).toHaveLength(1);
    const [after] = await t.deps.db.select().from(deliveries).where(eq(deliveries.id, d!.id));
    expect(after).toMatchObject({ state: 'sent', attempts: 2, lastError: null });
  });

  it('marks a permanent SMTP failure failed with the server reply and does not retry it', async () => {
    const gone = await makeConfirmedSubscriber(t.deps, 'gone@example.org');
    smtp.reject((to) =>
      to.includes('gone@example.org') ? { code: 550, message: 'No such user here' } : null,
    );
    const { incident } = await makeIncident(t.deps, { priority: 0, title: 'Bounce' });
    await testWorker(t).drain();
    const [b] = await t.deps.db
      .select()
      .from(broadcasts)
      .where(eq(broadcasts.incidentId, incident.id));
    const [d] = await t.deps.db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.broadcastId, b!.id), eq(deliveries.subscriberId, gone.id)));
    expect(d!.state).toBe('failed');
    expect(d!.lastError).toMatch(/550.*No such user here/);
    t.clock.advance(24 * 3600_000);
    expect(await testWorker(t).drain()).toBe(0);
  });

  it('neutralises header injection and HTML in titles', async () => {
    await makeConfirmedSubscriber(t.deps, 'victim@example.org');
    // Titles are one line at every edge now; a stored one may still hold line breaks (written
    // before that rule), and the mail must not turn them into headers.
    const evil = 'Down\r\nBcc: attacker@evil.test\r\nX-Evil: 1 <b>bold</b>';
    await expect(makeIncident(t.deps, { priority: 0, title: evil, body: 'x' })).rejects.toThrow(
      'must be one line',
    );
    const { incident } = await makeIncident(t.deps, {
      priority: 0,
      title: 'Down',
      body: '<script>alert(1)</script>',
      notify: false,
    });
    await t.deps.db.update(incidents).set({ title: evil }).where(eq(incidents.id, incident.id));
    await postIncidentUpdate(
      t.deps,
      { incidentId: incident.id, body: '<script>alert(1)</script>' },
      testActor,
    );
    await testWorker(t).drain();
    const [mail] = smtp.to('victim@example.org');
    expect(mail!.to).toEqual(['victim@example.org']);
    expect(smtp.to('attacker@evil.test')).toHaveLength(0);
    expect(mail!.parsed.subject).toBe(
      'Major outage: Down Bcc: attacker@evil.test X-Evil: 1 <b>bold</b>',
    );
    expect(mail!.header('x-evil')).toBeUndefined();
    expect(mail!.header('bcc')).toBeUndefined();
    expect(mail!.parsed.html).not.toContain('<b>bold</b>');
    expect(mail!.parsed.html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(mail!.parsed.html).not.toContain('<script>');
    expect(mail!.parsed.html).toContain('&lt;script&gt;');
  });
});
