import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as schema from '../../db/schema/index.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createList } from '../../server/domain/lists/create-list.ts';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { api, makeToken } from '../helpers/api.ts';
import { testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import type { FormClient } from '../helpers/site.ts';
import type { SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { publishReviewed, saveForReview, startPostmortemDesk } from './postmortem-desk.ts';

/** A confirmed subscriber who reads mail in `language`. */
async function reader(t: TestContext, email: string, list: string, language = 'en') {
  const { id } = await makeConfirmedSubscriber(t.deps, email, list);
  await t.deps.db.update(schema.subscribers).set({ language }).where(eq(schema.subscribers.id, id));
}

interface ReviewList {
  name: string;
  slug: string;
  audience: string;
  subjectsInEnglish: boolean;
  recipients: number;
  subjects: { subject: string; languages: string[]; recipients: number }[];
}

// The post-mortem's publish review names every list with its audience, the subject line its
// readers will get (in their language, or English where the list keeps English) and its count,
// and every audience whose pages or feeds will carry it; then the mail that goes out matches it.
describe('the post-mortem publish review shows what goes to whom', () => {
  let desk: Awaited<ReturnType<typeof startPostmortemDesk>>;
  let t: TestContext;
  let smtp: SmtpSink;
  let site: typeof desk.site;
  let pm: FormClient;
  let call: ReturnType<typeof api>;
  let incidentId: string;

  beforeAll(async () => {
    desk = await startPostmortemDesk('pm@acme.com');
    ({ t, smtp, site, author: pm } = desk);
    call = api(t, (await makeToken(t, 'responder')).secret);
    const checkout = await makeComponent(t.deps, { name: 'Checkout' });
    const search = await makeComponent(t.deps, { name: 'Search' });
    await createList(
      t.deps,
      { name: 'Partners', slug: 'partners', subjectsInEnglish: true, priorities: [0, 1] },
      testActor,
    );
    await createList(t.deps, { name: 'Low priority', slug: 'low', priorities: [3] }, testActor);
    await reader(t, 'ann@example.org', 'customers', 'en');
    await reader(t, 'bob@example.org', 'customers', 'en');
    await reader(t, 'dora@example.de', 'customers', 'de');
    await reader(t, 'eli@example.de', 'partners', 'de');
    await reader(t, 'cto@acme.com', 'stakeholders', 'de');
    await reader(t, 'nobody-p3@example.org', 'low', 'en');
    await createAudience(
      t.deps,
      {
        name: 'Acme Corp',
        slug: 'acme-corp',
        memberDomains: ['acme.example'],
        componentIds: [checkout.id],
      },
      testActor,
    );
    await createAudience(
      t.deps,
      { name: 'Search team', slug: 'search-team', componentIds: [search.id] },
      testActor,
    );
    const { incident } = await makeIncident(t.deps, {
      priority: 0,
      title: 'Checkout down',
      body: 'Payments fail.',
      components: [{ componentId: checkout.id, status: 'major_outage' }],
    });
    incidentId = incident.id;
    await resolveIncident(t.deps, { incidentId, body: 'Payments work again.' }, testActor);
    await testWorker(t).drain();
    smtp.clear();
  });
  afterAll(() => desk?.close());

  it('GET /api/admin/incidents/:id/postmortem/publication names each list with its audience, subject per language and count, and the pages of each audience', async () => {
    expect(
      (
        await call.put(`/api/admin/incidents/${incidentId}/postmortem`, {
          publicBody: '# What happened\n\nA bad deploy.',
          internalBody: 'INTERNAL-r1 the deploy skipped CI',
        })
      ).status,
    ).toBe(200);
    const r = await call.get(`/api/admin/incidents/${incidentId}/postmortem/publication`);
    expect(r.status).toBe(200);
    const pub = r.json.publication;
    const lists = Object.fromEntries(
      (pub.email.lists as ReviewList[]).map((l) => [
        l.slug,
        { audience: l.audience, recipients: l.recipients, subjects: l.subjects },
      ]),
    );
    expect(lists).toEqual({
      customers: {
        audience: 'public',
        recipients: 3,
        subjects: [
          { subject: 'Nachbetrachtung: Checkout down', languages: ['de'], recipients: 1 },
          { subject: 'Post-mortem: Checkout down', languages: ['en'], recipients: 2 },
        ],
      },
      partners: {
        audience: 'public',
        recipients: 1,
        subjects: [{ subject: 'Post-mortem: Checkout down', languages: ['de'], recipients: 1 }],
      },
      stakeholders: {
        audience: 'internal',
        recipients: 1,
        subjects: [
          {
            subject: 'PRIORITY 0 ISSUE POST-MORTEM: CHECKOUT DOWN',
            languages: ['de'],
            recipients: 1,
          },
        ],
      },
    });
    expect(pub.email.recipients).toBe(5);
    // The public pages, and Acme's (its component) but not the search team's.
    expect(pub.pages).toEqual([
      {
        audience: 'public',
        name: 'Public',
        where: [
          `the incident page /incidents/${incidentId}`,
          'the RSS and Atom feeds',
          'the v2 JSON API (postmortem_body)',
        ],
      },
      {
        audience: 'acme-corp',
        name: 'Acme Corp',
        where: [
          'its feeds (/a/acme-corp/history.rss, .atom)',
          'its v2 JSON (/a/acme-corp/api/v2/incidents.json)',
        ],
      },
    ]);
    expect(JSON.stringify(pub)).not.toContain('INTERNAL-r1');
  });

  it('the review page shows the same, sends nothing, and the mail that goes out on "Publish and email" is what it showed', async () => {
    const { review, version } = await saveForReview(pm, incidentId, {
      publicBody: '# What happened\n\nPUBLIC-r2 A bad deploy.',
      internalBody: 'INTERNAL-r2 the deploy skipped CI',
    });
    const html = review.html;
    const row = (slug: string) => {
      const m = new RegExp(`<tr data-list="${slug}">([\\s\\S]*?)</tr>`).exec(html);
      expect(m, slug).not.toBeNull();
      return m![1]!;
    };
    expect(row('customers')).toContain('<code>Post-mortem: Checkout down</code>');
    expect(row('customers')).toContain('<code>Nachbetrachtung: Checkout down</code>');
    expect(row('customers')).toContain('Public');
    expect(row('customers')).toContain('data-list-recipients="3"');
    expect(row('partners')).toContain('this list keeps subjects in English');
    expect(row('partners')).toContain('German');
    expect(row('stakeholders')).toContain(
      '<code>PRIORITY 0 ISSUE POST-MORTEM: CHECKOUT DOWN</code>',
    );
    expect(row('stakeholders')).toContain('Internal');
    expect(html).not.toContain('data-list="low"');
    expect(html).toContain('data-recipients="5"');
    expect(html).toContain('Publish and email 5 recipients');
    expect(html).toMatch(/<tr data-audience="acme-corp"><td[^>]*>Acme Corp/);
    expect(html).not.toContain('data-audience="search-team"');
    expect(html).toMatch(/<tr data-audience="public">[\s\S]*?\/incidents\//);
    // Reviewing sends nothing and publishes nothing.
    await testWorker(t).drain();
    expect(smtp.received).toHaveLength(0);
    expect(await (await fetch(`${site.base}/incidents/${incidentId}`)).text()).not.toContain(
      'PUBLIC-r2',
    );

    expect(version).not.toBeNull();
    const published = await publishReviewed(pm, incidentId, version!);
    expect(published.res.status).toBe(303);
    await testWorker(t).drain();
    const subjects = Object.fromEntries(
      smtp.received.map((m) => [m.to.join(','), m.parsed.subject]),
    );
    expect(subjects).toEqual({
      'ann@example.org': 'Post-mortem: Checkout down',
      'bob@example.org': 'Post-mortem: Checkout down',
      'dora@example.de': 'Nachbetrachtung: Checkout down',
      'eli@example.de': 'Post-mortem: Checkout down',
      'cto@acme.com': 'PRIORITY 0 ISSUE POST-MORTEM: CHECKOUT DOWN',
    });
    for (const m of smtp.received) expect(m.raw).not.toContain('INTERNAL-r2');
    // A public list hears impact, never the team's priority.
    const customer = smtp.to('ann@example.org')[0]!;
    expect(customer.parsed.text).not.toMatch(/Priority 0|PRIORITY 0/);
    expect(await (await fetch(`${site.base}/incidents/${incidentId}`)).text()).toContain(
      'PUBLIC-r2',
    );
  });

  it("the update form's email preview shows the same per-list review, sends nothing, and each list then gets the subject it showed", async () => {
    const { incident } = await makeIncident(t.deps, {
      priority: 1,
      title: 'Search slow',
      body: 'Searches time out.',
    });
    await testWorker(t).drain();
    smtp.clear();
    const path = `/admin/incidents/${incident.id}`;
    await pm.get(path);
    const fields = {
      _action: 'update',
      status: 'identified',
      body: 'PUBLIC-r3 We found the slow query.',
      nextIn: '30',
      notifyShown: '1',
      notify: 'on',
    };
    const preview = await pm.post(path, { ...fields, intent: 'preview' });
    expect(preview.res.status, /form-errors[\s\S]*?<\/ul>/.exec(preview.html)?.[0]).toBe(200);
    const shown = new Map<string, string[]>();
    for (const m of preview.html.matchAll(/<tr data-list="([^"]+)">([\s\S]*?)<\/tr>/g))
      shown.set(
        m[1]!,
        [...m[2]!.matchAll(/<code>([^<]*)<\/code>/g)].map((c) => c[1]!),
      );
    expect([...shown.keys()].sort()).toEqual(['customers', 'partners', 'stakeholders']);
    expect(preview.html).toContain('data-recipients="5"');
    await testWorker(t).drain();
    expect(smtp.received).toHaveLength(0);

    const posted = await pm.post(path, fields);
    expect(posted.res.status).toBe(303);
    await testWorker(t).drain();
    const listOf: Record<string, string> = {
      'ann@example.org': 'customers',
      'bob@example.org': 'customers',
      'dora@example.de': 'customers',
      'eli@example.de': 'partners',
      'cto@acme.com': 'stakeholders',
    };
    expect(smtp.received.map((m) => m.to.join(',')).sort()).toEqual(Object.keys(listOf).sort());
    for (const m of smtp.received) {
      const to = m.to.join(',');
      expect(shown.get(listOf[to]!), to).toContain(
        m.parsed.subject!.replaceAll('&', '&amp;').replaceAll('<', '&lt;'),
      );
    }

    // Resolving asks once more, with the same review; the all-clear then matches it.
    smtp.clear();
    const resolve = {
      _action: 'resolve',
      body: 'PUBLIC-r3 All clear.',
      internalNote: '',
      supportScript: '',
    };
    const ask = await pm.post(path, resolve);
    expect(ask.res.status).toBe(200);
    const confirmBox = ask.html.slice(ask.html.indexOf('id="h-confirm-resolve"'));
    const review = new Map<string, string[]>();
    for (const m of confirmBox.matchAll(/<tr data-list="([^"]+)">([\s\S]*?)<\/tr>/g))
      review.set(
        m[1]!,
        [...m[2]!.matchAll(/<code>([^<]*)<\/code>/g)].map((c) => c[1]!),
      );
    expect([...review.keys()].sort()).toEqual(['customers', 'partners', 'stakeholders']);
    // The staff reader reads German: the internal pattern in German.
    expect(review.get('stakeholders')).toEqual(['PRIORITÄT 1 PROBLEM BEHOBEN: SEARCH SLOW']);
    await testWorker(t).drain();
    expect(smtp.received).toHaveLength(0);
    const done = await pm.post(path, { ...resolve, confirmed: '1' });
    expect(done.res.status).toBe(303);
    await testWorker(t).drain();
    expect(smtp.received).toHaveLength(5);
    for (const m of smtp.received) {
      const to = m.to.join(',');
      expect(review.get(listOf[to]!), to).toContain(m.parsed.subject);
    }
  });

  it("a drill's review names no page, only the drill lists", async () => {
    await reader(t, 'drill@acme.com', 'drills');
    const { incident } = await makeIncident(t.deps, {
      priority: 1,
      title: 'Practice fire',
      body: 'Drill.',
      isDrill: true,
    });
    await resolveIncident(t.deps, { incidentId: incident.id, body: 'Done.' }, testActor);
    await call.put(`/api/admin/incidents/${incident.id}/postmortem`, {
      publicBody: 'We practised.',
    });
    const pub = (await call.get(`/api/admin/incidents/${incident.id}/postmortem/publication`)).json
      .publication;
    expect(pub.pages).toEqual([]);
    expect(
      pub.email.lists.map((l: ReviewList) => [l.slug, l.recipients, l.subjects[0]!.subject]),
    ).toEqual([['drills', 1, '[DRILL] PRIORITY 1 ISSUE POST-MORTEM: PRACTICE FIRE']]);
  });
});
