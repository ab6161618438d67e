import Parser from 'rss-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { createTestContext, type TestContext, testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';

type Item = {
  title: string;
  link: string;
  guid: string;
  pubDate: string;
  content: string;
  id: string;
  maintenanceEndDate?: string;
  published?: string;
};
const parser = new Parser<Record<string, unknown>, Item>({
  customFields: { item: ['maintenanceEndDate', 'published'] },
});

describe('history feeds', () => {
  let t: TestContext;
  let incidentId = '';
  let maintenanceId = '';

  beforeAll(async () => {
    t = await createTestContext();
    t.clock.set('2026-11-21T14:05:00.000Z');
    const c = await makeComponent(t.deps, { name: 'Checkout' });
    const inc = await makeIncident(t.deps, {
      title: 'Checkout <script>alert(1)</script> & payments',
      priority: 1,
      body: 'Cards fail <b>sometimes</b>.\nSecond line & more.',
      internalNote: 'FEED-SECRET',
      components: [{ componentId: c.id, status: 'major_outage' }],
    });
    incidentId = inc.incident.id;
    t.clock.set('2026-11-21T14:35:00.000Z');
    await postIncidentUpdate(t.deps, { incidentId, body: 'Nothing to update.' }, testActor);
    t.clock.set('2026-11-21T14:40:00.000Z');
    await postIncidentUpdate(
      t.deps,
      { incidentId, status: 'identified', body: 'Found it.' },
      testActor,
    );
    const m = await scheduleMaintenance(
      t.deps,
      {
        title: 'DB upgrade',
        description: 'Read-only for a while.',
        scheduledFor: '2026-11-29T02:00:00.000Z',
        scheduledUntil: '2026-11-29T04:00:00.000Z',
      },
      testActor,
    );
    maintenanceId = m.id;
  });
  afterAll(() => t.close());

  it('/history.rss is RSS 2.0 with one item per incident or maintenance, parsed back by a feed reader', async () => {
    const res = await t.app.request('/history.rss');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/rss\+xml/);
    const xml = await res.text();
    expect(xml).not.toContain('FEED-SECRET');
    const feed = await parser.parseString(xml);
    expect(feed.title).toBe('Acme Status - Incident History');
    expect(feed.link).toBe('https://status.example.com');
    expect(feed.items.map((i) => i.title)).toEqual([
      'DB upgrade',
      'Checkout <script>alert(1)</script> & payments',
    ]);
    const [m, inc] = feed.items as [Item, Item];
    expect(inc.link).toBe(`https://status.example.com/incidents/${incidentId}`);
    expect(inc.guid).toBe(inc.link);
    expect(new Date(inc.pubDate).toISOString()).toBe('2026-11-21T14:40:00.000Z');
    expect(inc.content).toContain(
      '<p><small>Nov 21, 14:40 UTC</small><br><strong>Identified</strong> - Found it.</p>',
    );
    expect(inc.content).toContain('<strong>Update</strong> - Nothing to update.');
    expect(inc.content).toContain(
      '<strong>Investigating</strong> - Cards fail &lt;b&gt;sometimes&lt;/b&gt;.<br>Second line &amp; more.',
    );
    expect(inc.content.indexOf('Identified')).toBeLessThan(inc.content.indexOf('Investigating'));
    expect(new Date(m.pubDate).toISOString()).toBe('2026-11-29T02:00:00.000Z');
    expect(new Date(m.maintenanceEndDate!).toISOString()).toBe('2026-11-29T04:00:00.000Z');
    expect(
      m.content.startsWith(
        '<p><strong>THIS IS A SCHEDULED EVENT Nov 29, 02:00 UTC - Nov 29, 04:00 UTC</strong></p>',
      ),
    ).toBe(true);
    expect(m.link).toBe(`https://status.example.com/incidents/${maintenanceId}`);
  });

  it('/history.atom is Atom 1.0 with tag ids, alternate links and HTML content', async () => {
    const res = await t.app.request('/history.atom');
    expect(res.headers.get('content-type')).toMatch(/^application\/atom\+xml/);
    const xml = await res.text();
    expect(xml).toContain('<feed xmlns="http://www.w3.org/2005/Atom"');
    expect(xml).toContain('<id>tag:status.example.com,2005:/history</id>');
    expect(xml).toContain(
      '<link rel="self" type="application/atom+xml" href="https://status.example.com/history.atom"/>',
    );
    expect(xml).not.toContain('<script>');
    const feed = await parser.parseString(xml);
    expect(feed.title).toBe('Acme Status - Incident History');
    const inc = feed.items.find(
      (i) => i.id === `tag:status.example.com,2005:Incident/${incidentId}`,
    )!;
    expect(inc.title).toBe('Checkout <script>alert(1)</script> & payments');
    expect(inc.link).toBe(`https://status.example.com/incidents/${incidentId}`);
    expect(inc.content).toContain('<strong>Identified</strong> - Found it.');
    // Text escaped in the HTML stays escaped once the XML is read: a feed reader shows the
    // typed "<b>" as text, as RSS readers do, and never runs what was typed as markup.
    expect(inc.content).toContain(
      '<strong>Investigating</strong> - Cards fail &lt;b&gt;sometimes&lt;/b&gt;.<br>Second line &amp; more.',
    );
    expect(new Date(inc.published!).toISOString()).toBe('2026-11-21T14:05:00.000Z');
  });

  it('shows a new update in the feed right after it is posted, and answers 304 while nothing changed', async () => {
    const first = await t.app.request('/history.rss');
    const etag = first.headers.get('etag')!;
    expect(
      (await t.app.request('/history.rss', { headers: { 'if-none-match': etag } })).status,
    ).toBe(304);
    t.clock.set('2026-11-21T15:00:00.000Z');
    await postIncidentUpdate(
      t.deps,
      { incidentId, status: 'monitoring', body: 'Watching closely.' },
      testActor,
    );
    const after = await t.app.request('/history.rss', { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('Watching closely.');
  });
});
