import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { startMaintenance } from '../../server/domain/maintenance/start-maintenance.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { updateSettings } from '../../server/domain/settings/update-settings.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';

async function page(s: ServerContext, path: string, init?: RequestInit) {
  const res = await fetch(s.url + path, init);
  return { res, html: await res.text() };
}

describe('public pages', () => {
  let s: ServerContext;
  let incidentId = '';
  let groupName = '';

  beforeAll(async () => {
    s = await startTestServer();
    s.clock.set('2026-11-21T14:00:00.000Z');
    const group = await makeComponent(s.deps, { name: 'Payments', isGroup: true });
    groupName = group.name;
    const cards = await makeComponent(s.deps, { name: 'Card processing', groupId: group.id });
    await makeComponent(s.deps, { name: 'Website' });
    const inc = await makeIncident(s.deps, {
      title: 'Cards <em>declined</em>',
      priority: 1,
      body: 'Some cards are declined.',
      components: [{ componentId: cards.id, status: 'partial_outage' }],
    });
    incidentId = inc.incident.id;
    s.clock.set('2026-11-21T14:10:00.000Z');
    await postIncidentUpdate(
      s.deps,
      {
        incidentId,
        status: 'identified',
        body: 'The processor is failing.',
        nextUpdateInMinutes: 20,
      },
      testActor,
    );
  });
  afterAll(() => s.close());

  it('/ shows the banner, grouped components with words, the active incident and its promised next update', async () => {
    const { res, html } = await page(s, '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain('<title>Acme Status</title>');
    expect(html).toMatch(/<h1>Partial System Outage<\/h1>/);
    expect(html).toContain(groupName);
    expect(html).toMatch(/Card processing\s*<\/span>.*Partial outage/s);
    expect(html).toContain('Cards &lt;em&gt;declined&lt;/em&gt;');
    expect(html).toContain('The processor is failing.');
    expect(html).toMatch(
      /Next update by <time datetime="2026-11-21T14:30:00.000Z">14:30 UTC<\/time>/,
    );
    expect(html).toContain('<link rel="alternate" type="application/rss+xml"');
    expect(html).toContain('<link rel="alternate" type="application/atom+xml"');
    // JavaScript is an optional extra (local times): only external, deferred scripts, none inline.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
  });

  it('/incidents/:id shows the whole timeline newest first with UTC times', async () => {
    const { res, html } = await page(s, `/incidents/${incidentId}`);
    expect(res.status).toBe(200);
    const identified = html.indexOf('The processor is failing.');
    const investigating = html.indexOf('Some cards are declined.');
    expect(identified).toBeGreaterThan(0);
    expect(identified).toBeLessThan(investigating);
    expect(html).toContain('<time datetime="2026-11-21T14:10:00.000Z">Nov 21, 14:10 UTC</time>');
    expect(html).toContain('Card processing: Operational → Partial outage');
  });

  it('answers an unknown incident and an unknown path with a readable 404 page', async () => {
    for (const path of ['/incidents/doesnotexist', '/no/such/page']) {
      const { res, html } = await page(s, path);
      expect(res.status, path).toBe(404);
      expect(html, path).toContain('<h1>Not found</h1>');
      expect(html, path).toContain('href="/"');
    }
  });

  it('/maintenance says no maintenance is under way, then shows an in-progress window', async () => {
    let { html } = await page(s, '/maintenance');
    expect(html).toContain('No maintenance is under way');
    const now = s.clock.now().getTime();
    const cmp = await makeComponent(s.deps, { name: 'Search' });
    const m = await scheduleMaintenance(
      s.deps,
      {
        title: 'Search reindex',
        description: 'Search is offline while we rebuild the index.',
        scheduledFor: new Date(now + 60_000),
        scheduledUntil: new Date(now + 7_200_000),
        componentIds: [cmp.id],
      },
      testActor,
    );
    ({ html } = await page(s, '/maintenance'));
    expect(html).toContain('No maintenance is under way');
    expect(html).toContain('Upcoming maintenance');
    // Started early by hand, as an admin would; the write refreshes every page by itself.
    await startMaintenance(s.deps, { maintenanceId: m.id }, testActor);
    ({ html } = await page(s, '/maintenance'));
    expect(html).toContain('is under maintenance');
    expect(html).toMatch(/What is down:<\/strong> Search/);
    expect(html).toContain('Search is offline while we rebuild the index.');
    expect(html).toContain('Until <time datetime="2026-11-21T16:10:00.000Z">');
  });

  it('serves / from cache with an ETag and shows a write on the very next request', async () => {
    const first = await fetch(s.url + '/');
    const etag = first.headers.get('etag')!;
    expect(etag).toBeTruthy();
    const again = await fetch(s.url + '/', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    await postIncidentUpdate(
      s.deps,
      { incidentId, status: 'monitoring', body: 'A fix is rolling out.' },
      testActor,
    );
    const after = await fetch(s.url + '/', { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('A fix is rolling out.');
  });

  it('/history paginates incidents and maintenance newest first', async () => {
    for (let i = 0; i < 22; i++) {
      s.clock.advance(60_000);
      await makeIncident(s.deps, { title: `Past incident ${i}`, priority: 3 });
    }
    const one = await page(s, '/history');
    expect(one.html).toContain('Past incident 21');
    expect(one.html).not.toContain('Past incident 0<');
    expect(one.html).toMatch(/Page 1 of 2/);
    expect(one.html).toContain('href="/history?page=2"');
    const two = await page(s, '/history?page=2');
    expect(two.html).toContain('Past incident 0<');
    expect(two.html).toContain('Cards &lt;em&gt;declined&lt;/em&gt;');
    expect((await page(s, '/history?page=9')).res.status).toBe(404);
  });

  it('serves the stylesheet as a hashed, long-cached asset', async () => {
    const { html } = await page(s, '/');
    const href = /<link rel="stylesheet" href="(\/_astro\/[^"]+\.css)"/.exec(html)?.[1];
    expect(href).toBeTruthy();
    const css = await fetch(s.url + href);
    expect(css.status).toBe(200);
    expect(css.headers.get('cache-control')).toContain('immutable');
    expect(await css.text()).toContain('prefers-color-scheme');
  });
});

describe('static files', () => {
  it('serves the favicon every page links to, with a cache lifetime', async () => {
    const s = await startTestServer();
    try {
      const { html } = await page(s, '/');
      expect(html).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
      const res = await fetch(s.url + '/favicon.svg');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
      expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    } finally {
      await s.close();
    }
  });
});

describe('escaping on the public pages', () => {
  it('shows an update body with a script tag as text on the incident page and the home page', async () => {
    const s = await startTestServer();
    try {
      const { incident } = await makeIncident(s.deps, {
        title: 'Checkout errors',
        priority: 2,
        body: 'Seen in logs: <script>alert("pwned")</script> & <img src=x onerror=alert(1)>',
      });
      for (const path of [`/incidents/${incident.id}`, '/']) {
        const { res, html } = await page(s, path);
        expect(res.status, path).toBe(200);
        expect(html, path).toContain('Seen in logs: &lt;script&gt;alert(');
        expect(html, path).toContain('&lt;img src=x onerror=alert(1)&gt;');
        // Inside a quoted attribute (the meta description) a raw `<` is only text; what must
        // never appear is a tag in the markup itself, or a quote that ends the attribute.
        const markup = html.replace(/="[^"]*"/g, '=""');
        expect(markup, path).not.toContain('<script>alert(');
        expect(markup, path).not.toContain('<img src=x');
        expect(html, path).not.toContain('alert("pwned")');
      }
    } finally {
      await s.close();
    }
  });

  it('keeps a quote in the page name from ending the attribute it is written into', async () => {
    const s = await startTestServer();
    try {
      await updateSettings(s.deps, { pageName: 'Acme "Cloud" onload=alert(1)' }, testActor);
      const { html } = await page(s, '/');
      expect(html).toContain(
        'title="Acme &quot;Cloud&quot; onload=alert(1) Status - Incident History (RSS)"',
      );
      expect(html).not.toContain('"Cloud"');
      expect(html).toContain('<title>Acme &quot;Cloud&quot; onload=alert(1) Status</title>');
    } finally {
      await s.close();
    }
  });
});
