import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { api, makeToken } from '../helpers/api.ts';
import { makeIncident } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';

describe('the post-mortem pages (no JavaScript)', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let rita: FormClient;
  beforeAll(async () => {
    t = await createTestContext();
    site = await startSite(t);
    await makeUser(t, 'responder', 'rita@example.com');
    rita = new FormClient(site.base);
    await rita.login('rita@example.com');
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('starts from the timeline, saves a draft that stays internal, publishes it sanitised on the public page and unpublishes it', async () => {
    const { incident } = await makeIncident(t.deps, {
      title: 'Search down',
      body: 'Search fails.',
    });
    await resolveIncident(t.deps, { incidentId: incident.id, body: 'Search is back.' }, testActor);
    const path = `/admin/incidents/${incident.id}/postmortem`;
    const fromTimeline = await rita.get(`${path}?from=timeline`);
    expect(fromTimeline.html).toContain('# Post-mortem: Search down');
    expect(fromTimeline.html).toContain('# Internal post-mortem: Search down');
    expect(fromTimeline.html).toContain('Resolved: Search is back.');

    const hostile =
      '## Root cause\n\nA full disk. PM-MARKER\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[runbook](javascript:alert(3))';
    const saved = await rita.post(path, {
      _action: 'save',
      publicBody: hostile,
      internalBody: 'INTERNAL-ONLY',
    });
    expect(saved.res.status).toBe(303);
    const publicDraft = await (await fetch(`${site.base}/incidents/${incident.id}`)).text();
    expect(publicDraft).not.toContain('PM-MARKER');

    await rita.get(path);
    const review = await rita.post(path, {
      _action: 'save-review',
      publicBody: hostile,
      internalBody: 'INTERNAL-ONLY',
    });
    expect(review.res.status).toBe(303);
    expect(review.res.headers.get('location')).toContain('review=1');
    const reviewPage = await rita.get(`${path}?review=1`);
    expect(reviewPage.html).toContain('Review the publication');
    const version = reviewPage.html.match(/name="reviewedVersion" value="([^"]+)"/)![1]!;
    const published = await rita.post(path, { _action: 'publish', reviewedVersion: version });
    expect(published.res.status).toBe(303);
    const page = await (await fetch(`${site.base}/incidents/${incident.id}`)).text();
    expect(page).toContain('<h2>Root cause</h2>');
    expect(page).toContain('PM-MARKER');
    // Typed HTML shows as text: no live tag, handler or script link.
    expect(page).not.toMatch(/<script>alert|<img|<[^>]*\son\w+\s*=|href="\s*javascript:/i);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('INTERNAL-ONLY');

    const admin = await rita.get(path);
    expect(admin.html).toContain('0 of 0 action items done');
    const un = await rita.post(path, { _action: 'unpublish' });
    expect(un.res.status).toBe(303);
    const gone = await (await fetch(`${site.base}/incidents/${incident.id}`)).text();
    expect(gone).not.toContain('PM-MARKER');
  });

  it('keeps text in angle brackets, shown as typed, on the page, the RSS, v2 and the preview', async () => {
    const { incident } = await makeIncident(t.deps, { title: 'Old browsers', body: 'Fails.' });
    await resolveIncident(t.deps, { incidentId: incident.id, body: 'Fixed.' }, testActor);
    const call = api(t, (await makeToken(t, 'responder')).secret);
    const typed = 'Login failed for users of <Chrome>; a<b. Fixed in <v2.1> by <b>bold</b> guess.';
    const put = await call.put(`/api/admin/incidents/${incident.id}/postmortem`, {
      publicBody: `## What happened\n\n${typed}\n\n<div onclick="x()">block of raw html</div>`,
    });
    expect(put.status).toBe(200);
    const shown =
      'Login failed for users of &lt;Chrome&gt;; a&lt;b. Fixed in &lt;v2.1&gt; by &lt;b&gt;bold&lt;/b&gt; guess.';
    const preview = await rita.get(`/admin/incidents/${incident.id}/postmortem`);
    expect(preview.html).toContain(shown);
    const pub = await call.post(`/api/admin/incidents/${incident.id}/postmortem/publish`, {
      notify: false,
    });
    expect(pub.status).toBe(200);
    const page = await (await fetch(`${site.base}/incidents/${incident.id}`)).text();
    expect(page).toContain(shown);
    expect(page).toContain('&lt;div onclick="x()"&gt;block of raw html&lt;/div&gt;');
    // Markup typed as text never becomes markup.
    expect(page).not.toMatch(/<chrome|<v2\.1|<b>bold|<div onclick/i);
    const v2 = await (await fetch(`${site.base}/api/v2/incidents.json`)).json();
    const body = v2.incidents.find((i: { id: string }) => i.id === incident.id).postmortem_body;
    expect(body).toContain(shown);
    const rss = await (await fetch(`${site.base}/history.rss`)).text();
    expect(rss).toContain(shown);
  });

  it('refuses a post-mortem on an unresolved incident with a readable page', async () => {
    const { incident } = await makeIncident(t.deps);
    const path = `/admin/incidents/${incident.id}/postmortem`;
    await rita.get(path);
    const r = await rita.post(path, { _action: 'save', publicBody: 'Too early' });
    expect(r.res.status).toBe(409);
    expect(r.html).toContain('resolve the incident first');
  });
});
