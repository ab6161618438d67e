import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { changeIncidentPriority } from '../../server/domain/incidents/change-incident-priority.ts';
import { testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { type FormClient, makeUser } from '../helpers/site.ts';
import type { SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import {
  postmortemPath,
  publishReviewed,
  saveForReview,
  startPostmortemDesk,
} from './postmortem-desk.ts';

const V2 = [
  '/api/v2/summary.json',
  '/api/v2/incidents.json',
  '/api/v2/incidents/unresolved.json',
  '/api/v2/components.json',
  '/api/v2/status.json',
];
const FEEDS = ['/history.rss', '/history.atom'];

// What the record holds. Each must stay with the team whatever the PM clicks on the
// post-mortem page: the SQL, the database host, staff addresses, the fact sheet.
const SQL = "UPDATE orders SET state = 'paid' WHERE id IN (4711, 4712)";
const HOST = 'prod-db-1';
const DBA = 'dba.dora@acme.com';
const RESPONDER = 'pm.rita@acme.com';
const LEGAL = 'LEGAL-7d2: card data may have been exposed to support staff';
const CAUSE = 'CAUSE-7d2 a migration dropped the orders index';
const DECISION = 'DECISION-7d2 fail over to the replica';
const ACTION = 'ACTION-7d2 add an index check to CI';
const PRIORITY_REASON = 'REASON-7d2 the CFO is asking';
const INTERNAL = [
  SQL,
  'UPDATE orders SET state',
  HOST,
  DBA,
  RESPONDER,
  'mailto:',
  LEGAL,
  'LEGAL-7d2',
  CAUSE,
  'CAUSE-7d2',
  DECISION,
  'DECISION-7d2',
  'ACTION-7d2',
  'REASON-7d2',
  'Fact sheet',
  'Are there legal implications',
];

describe('the post-mortem path keeps the record internal', () => {
  let desk: Awaited<ReturnType<typeof startPostmortemDesk>>;
  let t: TestContext;
  let smtp: SmtpSink;
  let site: typeof desk.site;
  let rita: FormClient;
  let incidentId: string;

  beforeAll(async () => {
    desk = await startPostmortemDesk(RESPONDER);
    ({ t, smtp, site, author: rita } = desk);
    const dora = await makeUser(t, 'responder', DBA);
    await makeConfirmedSubscriber(t.deps, 'reader-one@example.org', 'customers');
    await makeConfirmedSubscriber(t.deps, 'reader-two@example.org', 'customers');

    const checkout = await makeComponent(t.deps, { name: 'Checkout' });
    const { incident } = await makeIncident(t.deps, {
      priority: 1,
      title: 'Orders stuck',
      body: 'PUBLIC-7d2 Orders are stuck in pending.',
      components: [{ componentId: checkout.id, status: 'major_outage' }],
    });
    incidentId = incident.id;
    await changeIncidentPriority(
      t.deps,
      { incidentId, priority: 0, reason: PRIORITY_REASON },
      testActor,
    );
    const record = `/admin/incidents/${incidentId}/record`;
    await rita.get(`/admin/incidents/${incidentId}`);
    const posts: Record<string, string>[] = [
      { _action: 'facts', 'fact.legal': LEGAL, 'fact.cause': CAUSE },
      { _action: 'decision', decision: DECISION, why: 'the primary is unhealthy' },
      {
        _action: 'change',
        what: SQL,
        target: HOST,
        ranById: dora.id,
        reviewerId: '',
        recordsTouched: '2',
      },
      {
        _action: 'action-item',
        title: ACTION,
        ownerId: dora.id,
        dueAt: '2026-12-20T10:00',
        kind: 'prevent',
        phase: 'after',
      },
    ];
    for (const fields of posts) {
      const { res, html } = await rita.post(record, fields);
      expect(res.status, `${fields._action}: ${html.slice(0, 1500)}`).toBe(303);
    }
    await resolveIncident(t.deps, { incidentId, body: 'PUBLIC-7d2 Orders flow again.' }, testActor);
    await testWorker(t).drain();
    smtp.clear();
  });
  afterAll(() => desk?.close());

  async function publicSurfaces(): Promise<[string, string][]> {
    const out: [string, string][] = [];
    for (const path of [...V2, ...FEEDS]) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(200);
      out.push([path, await res.text()]);
    }
    for (const path of ['/', `/incidents/${incidentId}`, '/history']) {
      const res = await fetch(site.base + path);
      expect(res.status, path).toBe(200);
      out.push([path, await res.text()]);
    }
    return out;
  }

  it('"Start from the timeline", then "Save and review publication" and "Publish and email" put only the public part on the page, the feeds, v2 and the mail', async () => {
    const path = postmortemPath(incidentId);
    const template = await rita.get(`${path}?from=timeline`);
    expect(template.res.status).toBe(200);
    // The PM saves the template exactly as it was filled in.
    const field = (name: string) => {
      const m = template.html.match(
        new RegExp(`<textarea[^>]*name="${name}"[^>]*>([\\s\\S]*?)</textarea>`),
      );
      expect(m, name).not.toBeNull();
      return m![1]!
        .replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>')
        .replaceAll('&quot;', '"')
        .replaceAll('&#39;', "'")
        .replaceAll('&amp;', '&');
    };
    const publicBody = field('publicBody');
    const internalBody = field('internalBody');
    // The template escapes Markdown's own characters (prod\-db\-1); read it as a reader would.
    const plain = (md: string) => md.replace(/\\(.)/g, '$1');
    // The template put the record in the internal part, and only public text in the public one.
    for (const secret of [HOST, SQL.replaceAll("'", "'"), LEGAL, CAUSE, DECISION, ACTION, DBA])
      expect(plain(internalBody), secret).toContain(secret);
    expect(plain(internalBody)).toContain(PRIORITY_REASON);
    for (const secret of INTERNAL) expect(plain(publicBody), secret).not.toContain(secret);
    expect(plain(publicBody)).toContain('PUBLIC-7d2 Orders are stuck in pending');
    expect(plain(publicBody)).toContain('**Checkout**:');
    // The summary opens with what customers saw, never the team's priority (P1, then P0).
    expect(plain(publicBody)).toMatch(/## Summary\n\nMajor outage from /);
    expect(plain(publicBody)).not.toMatch(/\bP[0-3]\b/);
    expect(plain(internalBody)).toMatch(/\nP0 incident from /);

    const { review, version } = await saveForReview(rita, incidentId, { publicBody, internalBody });
    // The preview shows exactly what goes public and to how many people, and sends nothing.
    expect(review.html).toContain('Review the publication');
    expect(review.html).toContain('data-recipients="2"');
    expect(review.html).toContain('Publish and email 2 recipients');
    // Per list: the customers' list hears no priority; the staff list keeps its pattern.
    expect(review.html).toMatch(
      /<tr data-list="customers">[\s\S]*?<code>Post-mortem: Orders stuck<\/code>[\s\S]*?data-list-recipients="2"/,
    );
    expect(review.html).toMatch(
      /<tr data-list="stakeholders">[\s\S]*?<code>PRIORITY 0 ISSUE POST-MORTEM: ORDERS STUCK<\/code>[\s\S]*?data-list-recipients="0"/,
    );
    const preview = review.html.slice(
      review.html.indexOf('id="h-review"'),
      review.html.indexOf('Start from the timeline'),
    );
    for (const secret of INTERNAL) expect(preview, secret).not.toContain(secret);
    expect(preview).toContain('PUBLIC-7d2 Orders are stuck in pending');
    await testWorker(t).drain();
    expect(smtp.received).toHaveLength(0);
    for (const [p, text] of await publicSurfaces())
      expect(text, p).not.toContain('PUBLIC-7d2 Orders are stuck in pending.</p>\n<h2');

    expect(version).not.toBeNull();
    const published = await publishReviewed(rita, incidentId, version!);
    expect(published.res.status).toBe(303);
    await testWorker(t).drain();

    const surfaces = await publicSurfaces();
    for (const [p, text] of surfaces)
      for (const secret of INTERNAL) expect(text, `${p}: ${secret}`).not.toContain(secret);
    const mails = smtp.received;
    expect(mails.map((m) => m.parsed.subject)).toEqual([
      'Post-mortem: Orders stuck',
      'Post-mortem: Orders stuck',
    ]);
    for (const m of mails)
      for (const secret of INTERNAL) expect(m.raw, `mail: ${secret}`).not.toContain(secret);
    // Links left out: a random link token can hold "-P0-".
    for (const m of mails)
      expect(m.parsed.text!.replace(/https?:\/\/\S+/g, '')).not.toMatch(/\bP[0-3]\b/);
    for (const [p, text] of surfaces) expect(text, p).not.toContain('P0 incident');
    // Positive control: the public part did go out, on every surface that shows incidents.
    for (const [p, text] of surfaces.filter(
      ([p]) => !/summary|unresolved|components|status\.json|^\/(history)?$/.test(p),
    ))
      expect(text, p).toContain('Post-mortem: Orders stuck');
    for (const m of mails) expect(m.parsed.text).toContain('Orders are stuck in pending');
    // And the team still has the record, in the internal part on the admin page.
    const admin = await rita.get(path);
    expect(admin.html).toContain(HOST);
    expect(admin.html).toContain('LEGAL-7d2');
  });

  it('refuses to publish what changed after the review, and sends nothing', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Search slow' });
    await resolveIncident(t.deps, { incidentId: incident.id, body: 'Search is fast.' }, testActor);
    await testWorker(t).drain();
    const path = postmortemPath(incident.id);
    const first = { publicBody: 'REVIEWED-7d2 What customers read.', internalBody: 'Team notes.' };
    const { review, version } = await saveForReview(rita, incident.id, first);
    expect(review.html).toContain('REVIEWED-7d2');
    expect(version).not.toBeNull();
    t.clock.advance(60_000);
    const edit = await rita.post(path, {
      _action: 'save',
      publicBody: 'UNREVIEWED-7d2 Edited in another tab.',
      internalBody: 'Team notes.',
    });
    expect(edit.res.status).toBe(303);
    await rita.get(path);
    smtp.clear();
    const stale = await publishReviewed(rita, incident.id, version!);
    expect(stale.res.status).toBe(409);
    expect(stale.html).toContain('review the publication again');
    await testWorker(t).drain();
    expect(smtp.received).toHaveLength(0);
    const page = await (await fetch(`${site.base}/incidents/${incident.id}`)).text();
    expect(page).not.toContain('UNREVIEWED-7d2');
    expect(page).not.toContain('REVIEWED-7d2');
  });

  it('refuses to publish an empty public part, whatever the internal part holds', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1, title: 'Login slow' });
    await resolveIncident(t.deps, { incidentId: incident.id, body: 'Login is fast.' }, testActor);
    const path = postmortemPath(incident.id);
    const { review } = await saveForReview(rita, incident.id, {
      publicBody: '',
      internalBody: `ONLY-INTERNAL-7d2 ${SQL}`,
    });
    expect(review.html).toContain('The public part is empty');
    expect(review.html).not.toContain('name="reviewedVersion"');
    const forced = await rita.post(path, { _action: 'publish', notify: 'on' });
    expect(forced.res.status).toBe(409);
    const page = await (await fetch(`${site.base}/incidents/${incident.id}`)).text();
    expect(page).not.toContain('ONLY-INTERNAL-7d2');
  });
});
