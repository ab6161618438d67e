import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
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
    expect(page).not.toMatch(/<script>alert|onerror|javascript:/i);
    expect(page).not.toContain('INTERNAL-ONLY');

    const admin = await rita.get(path);
    expect(admin.html).toContain('0 of 0 action items done');
    const un = await rita.post(path, { _action: 'unpublish' });
    expect(un.res.status).toBe(303);
    const gone = await (await fetch(`${site.base}/incidents/${incident.id}`)).text();
    expect(gone).not.toContain('PM-MARKER');
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
