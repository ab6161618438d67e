import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { api, makeToken } from '../helpers/api.ts';
import {
  createAudience,
  sitePath,
  startAudienceServer,
  type AudienceServer,
} from '../helpers/audience-setup.ts';
import { makeComponent } from '../helpers/factories.ts';
import { FormClient, makeUser } from '../helpers/site.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// A reader of a named audience, signed in with an emailed link, on the audience's list. The
// mail for an incident declared for that audience only says "details" and links to a page.

describe("the links in an audience reader's mail, feeds and v2 JSON", () => {
  let smtp: AudienceServer['smtp'];
  let s: AudienceServer['s'];
  let admin: AudienceServer['admin'];
  let listId: string;
  let drain: AudienceServer['drain'];
  let signIn: AudienceServer['signIn'];
  let close: AudienceServer['close'];
  let responder: ReturnType<typeof api>;
  let checkoutId: string;

  /** The mail's "Details:" link (the text part), as a path on this site. */
  const detailsLink = (text: string) =>
    sitePath(/Details: (https:\/\/status\.example\.com\/\S+)/.exec(text)![1]!);
  /** The mail to `email` whose text carries `marker`. */
  const mailWith = (email: string, marker: string) =>
    smtp.to(email).find((m) => (m.parsed.text ?? '').includes(marker));

  /** A reader signed in on the audience's pages who has joined its list there. */
  async function listMember(email: string) {
    const c = await signIn(email);
    expect((await c.post('/a/acme-corp/lists', { listId, action: 'join' })).res.status).toBe(303);
    return c;
  }

  /** The responder declares an incident (the API answers 201), Checkout in `checkout` if given. */
  async function declare(incident: {
    title: string;
    priority: number;
    body: string;
    checkout?: string;
    audiences?: string[];
  }) {
    const { checkout, ...fields } = incident;
    const declared = await responder.post('/api/admin/incidents', {
      ...fields,
      ...(checkout ? { components: [{ componentId: checkoutId, status: checkout }] } : {}),
    });
    expect(declared.status).toBe(201);
    return declared.json.incident.id as string;
  }

  /**
   * Follows, in the reader's browser, every link on this site in a mail's text but the
   * unsubscribe and manage links (there is at least one): each page shows `marker`.
   */
  async function expectSiteLinksShow(c: FormClient, text: string, marker: string) {
    const links = [...text.matchAll(/https:\/\/status\.example\.com\/\S+/g)]
      .map((m) => m[0])
      .filter((l) => !/\/(unsubscribe|manage)\//.test(l));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      const page = await c.get(sitePath(link));
      expect(page.res.status, link).toBe(200);
      expect(page.html, link).toContain(marker);
    }
  }

  beforeAll(async () => {
    ({ smtp, s, admin, listId, drain, signIn, close } = await startAudienceServer());
    responder = api(s, (await makeToken(s, 'responder')).secret);
    checkoutId = (await makeComponent(s.deps, { name: 'Checkout' })).id;
  });
  afterAll(() => close?.());
  beforeEach(() => smtp.clear());

  it("leads a member from an audience-only incident's mail to a page that shows it, not a 404", async () => {
    const c = await listMember('ops@acme.com');
    await declare({
      title: 'Checkout down for Acme',
      priority: 0,
      body: 'ACME-ONLY-r1 Card payments fail on your tenant.',
      checkout: 'major_outage',
      audiences: ['acme-corp'],
    });
    await drain();
    const mail = mailWith('ops@acme.com', 'ACME-ONLY-r1');
    expect(mail, 'the member is mailed the incident').toBeDefined();
    // The mail's "details" link: the one link on this site that is neither the unsubscribe nor
    // the manage link. The member follows it in the browser they are signed in with.
    await expectSiteLinksShow(c, mail!.parsed.text ?? '', 'ACME-ONLY-r1');
  });

  it("leads a member from the audience's own feeds and v2 JSON to pages that exist", async () => {
    const c = await signIn('dev@acme.com');
    const id = await declare({
      title: 'Search slow for Acme',
      priority: 2,
      body: 'ACME-FEED-r2 Searches take a minute.',
      checkout: 'degraded_performance',
      audiences: ['acme-corp'],
    });
    const { feedToken } = (await admin.get('/api/admin/audiences')).json.audiences[0];
    const summary = await (
      await fetch(`${s.url}/a/acme-corp/api/v2/summary.json?token=${feedToken}`)
    ).json();
    const incident = summary.incidents.find((i: { id: string }) => i.id === id);
    const rss = await (await fetch(`${s.url}/a/acme-corp/history.rss?token=${feedToken}`)).text();
    const item = /<item>[\s\S]*?<\/item>/.exec(rss)![0];
    const itemLink = /<link>([^<]+)<\/link>/.exec(item)![1]!;
    // The feed's own address, which feed readers refresh from (RSS atom:link rel="self").
    const self =
      /<atom:link[^>]*href="([^"]+)"[^>]*rel="self"|<atom:link[^>]*rel="self"[^>]*href="([^"]+)"/.exec(
        rss,
      );
    const links = {
      'v2 shortlink': incident.shortlink as string,
      'RSS item link': itemLink,
      'RSS self link': (self?.[1] ?? self?.[2] ?? '').replaceAll('&amp;', '&'),
    };
    const statuses: Record<string, number> = {};
    for (const [what, link] of Object.entries(links))
      statuses[what] = (await c.get(sitePath(link))).res.status;
    expect({ links, statuses }).toEqual({
      links,
      statuses: { 'v2 shortlink': 200, 'RSS item link': 200, 'RSS self link': 200 },
    });
  });

  it("shows an audience's incident page to its members only, and none of another audience's", async () => {
    const id = await declare({
      title: 'Queue stuck for Acme',
      priority: 2,
      body: 'ACME-PAGE-r3 Exports wait.',
      checkout: 'degraded_performance',
      audiences: ['acme-corp'],
    });
    await createAudience(admin, { name: 'Globex', slug: 'globex', memberDomains: ['globex.com'] });
    const member = await signIn('lead@acme.com');
    const shown = await member.get(`/a/acme-corp/incidents/${id}`);
    expect(shown.res.status).toBe(200);
    expect(shown.html).toContain('ACME-PAGE-r3');
    expect(shown.res.headers.get('cache-control')).toBe('private, no-store');
    // Signed out, and a signed-in member of another audience: the page's 404, no text.
    const signedOut = await new FormClient(s.url).get(`/a/acme-corp/incidents/${id}`);
    const c = await signIn('ops@globex.com', 'globex');
    const otherMember = await c.get(`/a/acme-corp/incidents/${id}`);
    const otherAudience = await c.get(`/a/globex/incidents/${id}`);
    for (const r of [signedOut, otherMember, otherAudience]) {
      expect(r.res.status).toBe(404);
      expect(r.html).not.toContain('ACME-PAGE-r3');
      expect(r.html).not.toContain('Queue stuck for Acme');
    }
  });

  it("leads a member from an audience-only incident's post-mortem mail to the post-mortem", async () => {
    const c = await listMember('pm-reader@acme.com');
    const id = await declare({
      title: 'Ledger drift for Acme',
      priority: 1,
      body: 'Balances lag.',
      checkout: 'partial_outage',
      audiences: ['acme-corp'],
    });
    expect(
      (await responder.post(`/api/admin/incidents/${id}/resolve`, { body: 'Balances agree.' }))
        .status,
    ).toBe(200);
    expect(
      (
        await responder.put(`/api/admin/incidents/${id}/postmortem`, {
          publicBody: 'ACME-PM-r4 A stuck consumer.',
        })
      ).status,
    ).toBe(200);
    await drain();
    smtp.clear();
    expect(
      (await responder.post(`/api/admin/incidents/${id}/postmortem/publish`, { notify: true }))
        .status,
    ).toBe(200);
    await drain();
    const mail = smtp.to('pm-reader@acme.com').at(-1);
    expect(mail, 'the member is mailed the post-mortem').toBeDefined();
    await expectSiteLinksShow(c, mail!.parsed.text ?? '', 'ACME-PM-r4');
  });

  it("leads staff on an internal list from an audience-only incident's mail to a page that shows it", async () => {
    await makeConfirmedSubscriber(s.deps, 'exec@example.com', 'stakeholders');
    const staff = await makeUser(s, 'viewer', 'exec@example.com');
    await declare({
      title: 'Invoices late for Acme',
      priority: 0,
      body: 'ACME-STAFF-r5 Invoices are a day late.',
      checkout: 'partial_outage',
      audiences: ['acme-corp'],
    });
    await drain();
    const mail = mailWith('exec@example.com', 'ACME-STAFF-r5');
    expect(mail, 'the internal list is mailed the incident').toBeDefined();
    const link = detailsLink(mail!.parsed.text!);
    // Signed in as staff, the reader sees the incident; the public page would be a 404.
    const c = new FormClient(s.url);
    await c.login(staff.email);
    const page = await c.get(link);
    expect(page.res.status, link).toBe(200);
    expect(page.html, link).toContain('ACME-STAFF-r5');
  });

  it('leads an internal list from an incident everyone sees to the public page, which needs no sign-in', async () => {
    await makeConfirmedSubscriber(s.deps, 'sales@example.com', 'stakeholders');
    const id = await declare({
      title: 'Checkout slow',
      priority: 1,
      body: 'EVERYONE-r6 Payments take longer.',
      checkout: 'degraded_performance',
    });
    await drain();
    const mail = mailWith('sales@example.com', 'EVERYONE-r6');
    expect(mail).toBeDefined();
    const link = detailsLink(mail!.parsed.text!);
    expect(link).toBe(`/incidents/${id}`);
    const page = await new FormClient(s.url).get(link);
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('EVERYONE-r6');
  });

  it("previews each list's details link as its readers then get it", async () => {
    await makeConfirmedSubscriber(s.deps, 'cfo@example.com', 'stakeholders');
    await listMember('preview-reader@acme.com');
    const id = await declare({
      title: 'Reports empty for Acme',
      priority: 1,
      body: 'Reports show nothing.',
      checkout: 'partial_outage',
      audiences: ['acme-corp'],
    });
    await drain();
    smtp.clear();
    const preview = await responder.post('/api/admin/email-preview', {
      incidentId: id,
      body: 'PREVIEWED-r7 Reports fill again.',
    });
    expect(preview.status).toBe(200);
    expect(
      (
        await responder.post(`/api/admin/incidents/${id}/updates`, {
          body: 'PREVIEWED-r7 Reports fill again.',
          status: 'identified',
        })
      ).status,
    ).toBe(201);
    await drain();
    const sent = (email: string) => detailsLink(mailWith(email, 'PREVIEWED-r7')!.parsed.text!);
    const shown = Object.fromEntries(
      (preview.json.lists as { slug: string; incidentUrl: string }[]).map((l) => [
        l.slug,
        sitePath(l.incidentUrl),
      ]),
    );
    expect(shown).toEqual({
      stakeholders: sent('cfo@example.com'),
      'acme-incident-mail': sent('preview-reader@acme.com'),
    });
    // The text shown as internal lists get it carries their link, not the public page's 404.
    expect(detailsLink(preview.json.internal.text)).toBe(sent('cfo@example.com'));
  });
  it("previews an audience's own text as its members' mail reads it, in the API and the admin form", async () => {
    await listMember('own-text@acme.com');
    const id = await declare({ title: 'Exports slow', priority: 1, body: 'Exports are slow.' });
    await drain();
    smtp.clear();
    const update = {
      body: 'PUBLIC-k3 Exports recover.',
      audienceTexts: [
        { audience: 'acme-corp', body: 'ACME-ONLY-k3 Your nightly export reruns at 02:00.' },
      ],
    };
    const preview = await responder.post('/api/admin/email-preview', { incidentId: id, ...update });
    expect(preview.status).toBe(200);
    const copies = preview.json.audiences as {
      slug: string;
      name: string;
      email: { text: string };
    }[];
    expect(copies.map((a) => [a.slug, a.name])).toEqual([['acme-corp', 'Acme Corp']]);
    expect(copies[0]!.email.text).toContain('ACME-ONLY-k3');
    expect(copies[0]!.email.text).not.toContain('PUBLIC-k3');
    // Each audience's text is for its lists only: not in what public or internal lists read.
    expect(preview.json.public.text).not.toContain('ACME-ONLY-k3');
    expect(preview.json.internal.text).not.toContain('ACME-ONLY-k3');
    // An audience that does not exist is refused, as publishing refuses it.
    const unknown = await responder.post('/api/admin/email-preview', {
      incidentId: id,
      body: 'x',
      audienceTexts: [{ audience: 'nobody-corp', body: 'y' }],
    });
    expect(unknown.status).toBe(422);

    // The admin form (no JavaScript) shows the same copy before publishing.
    const pm = new FormClient(s.url);
    await pm.login((await makeUser(s, 'responder')).email);
    await pm.get(`/admin/incidents/${id}`);
    const shown = await pm.post(`/admin/incidents/${id}`, {
      _action: 'update',
      body: update.body,
      'audienceText.acme-corp': update.audienceTexts[0]!.body,
      intent: 'preview',
    });
    expect(shown.res.status).toBe(200);
    const acme = /<details data-audience="acme-corp">([\s\S]*?)<\/details>/.exec(shown.html)?.[1];
    expect(acme).toContain('Acme Corp');
    expect(acme).toContain('ACME-ONLY-k3');

    // What the member then gets is what the preview showed: the audience's text and its link.
    expect(
      (
        await responder.post(`/api/admin/incidents/${id}/updates`, {
          ...update,
          status: 'monitoring',
        })
      ).status,
    ).toBe(201);
    await drain();
    const got = mailWith('own-text@acme.com', 'k3')!;
    expect(got.parsed.text).toContain('ACME-ONLY-k3');
    expect(got.parsed.text).not.toContain('PUBLIC-k3');
    expect(detailsLink(copies[0]!.email.text)).toBe(detailsLink(got.parsed.text!));
  });
});
