import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../db/schema/index.ts';
import { createWebhookWorker } from '../../server/delivery/webhook-channel.ts';
import { publishDueUpdates } from '../../server/domain/incidents/publish-due-updates.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { createWebhook } from '../../server/domain/webhooks/manage-webhooks.ts';
import { type Receiver, startReceiver } from '../channels/receiver.ts';
import { api, makeToken } from '../helpers/api.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startTestServer, type ServerContext } from '../helpers/server.ts';
import { FormClient, makeUser } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// An incident declared for "Acme Corp" only: on none of the public surfaces, in none of the
// public mail, webhooks or chat; on Acme's page, history, feeds and v2, on the staff audience's,
// and in the internal list's mail.

const PUBLIC_PATHS = [
  '/',
  '/history',
  '/uptime',
  '/history.rss',
  '/history.atom',
  '/maintenance.ics',
  '/api/uptime.json',
  '/api/v2/summary.json',
  '/api/v2/status.json',
  '/api/v2/incidents.json',
  '/api/v2/incidents/unresolved.json',
  '/api/v2/components.json',
  '/api/embed.json',
  '/badge.svg',
];
const SECRETS = ['P0SECRET-k7', 'ACMEBODY-k7', 'ACMENOTE-k7'];

describe('an incident for chosen audiences only', () => {
  let s: ServerContext;
  let smtp: SmtpSink;
  let rx: Receiver;
  let admin: ReturnType<typeof api>;
  let responder: ReturnType<typeof api>;
  let checkoutId: string;
  let incidentId: string;
  const audiences: Record<string, { feedToken: string; links: Record<string, string> }> = {};
  let acmeMember: FormClient;
  const local = (link: string | undefined) => {
    const u = new URL(link!);
    return s.url + u.pathname + u.search;
  };
  const deliver = async () => {
    await testWorker(s).drain();
    await createWebhookWorker(s.deps).runOnce();
  };

  // What more than one test reads, made by the first test that needs it, so that each test
  // also runs alone (`-t`): the public P1 beside the Acme-only incident, and a list of incident
  // mail for Acme's audience and one for Globex's.
  let publicIncident: Promise<unknown> | null = null;
  const withPublicIncident = () =>
    (publicIncident ??= (async () => {
      await makeIncident(s.deps, { title: 'Public search slow', priority: 1, body: 'Looking.' });
      await deliver();
    })());
  let audienceLists: Promise<Record<string, string>> | null = null;
  const withAudienceLists = () =>
    (audienceLists ??= (async () => {
      const lists: Record<string, string> = {};
      for (const slug of ['acme-corp', 'globex']) {
        const r = await admin.post('/api/admin/lists', {
          name: `${slug} incident mail`,
          audience: slug,
          priorities: [0, 1],
        });
        expect(r.status).toBe(201);
        lists[slug] = r.json.list.id;
      }
      return lists;
    })());

  beforeAll(async () => {
    smtp = await startSmtpSink();
    rx = await startReceiver();
    s = await startTestServer({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'herald.example' } });
    admin = api(s, (await makeToken(s, 'admin')).secret);
    responder = api(s, (await makeToken(s, 'responder')).secret);
    const checkout = await makeComponent(s.deps, { name: 'Checkout' });
    checkoutId = checkout.id;
    await makeComponent(s.deps, { name: 'Search' });
    for (const a of [
      { name: 'Acme Corp', slug: 'acme-corp', memberDomains: ['acme.com'] },
      { name: 'Globex', slug: 'globex', memberDomains: ['globex.com'] },
      { name: 'Staff', slug: 'staff', memberDomains: ['herald.example'], seesInternal: true },
    ]) {
      const r = await admin.post('/api/admin/audiences', a);
      expect(r.status).toBe(201);
      audiences[a.slug] = r.json;
    }
    await makeConfirmedSubscriber(s.deps, 'customer@example.org', 'customers');
    await makeConfirmedSubscriber(s.deps, 'sales@herald.example', 'stakeholders');
    await createWebhook(
      s.deps,
      { url: `${rx.url}/webhook`, kind: 'webhook', allowPrivate: true },
      testActor,
    );
    await createWebhook(
      s.deps,
      { url: `${rx.url}/slack`, kind: 'slack', allowPrivate: true },
      testActor,
    );
    await makeUser(s, 'responder', 'ana@acme.com');
    acmeMember = new FormClient(s.url);
    await acmeMember.login('ana@acme.com');

    const declared = await responder.post('/api/admin/incidents', {
      title: 'P0SECRET-k7 Checkout down for Acme',
      priority: 0,
      body: 'ACMEBODY-k7 Card payments fail on your tenant.',
      internalNote: 'ACMENOTE-k7 the tenant shard is full',
      components: [{ componentId: checkoutId, status: 'major_outage' }],
      audiences: ['acme-corp'],
    });
    expect(declared.status).toBe(201);
    incidentId = declared.json.incident.id;
    await deliver();
  });
  afterAll(async () => {
    await s?.close();
    await rx?.close();
    await smtp?.close();
  });

  it('is on no public surface, and its component impact does not show publicly', async () => {
    for (const p of PUBLIC_PATHS) {
      const res = await fetch(s.url + p);
      expect(res.status, p).toBe(200);
      const text = await res.text();
      for (const secret of SECRETS) expect(text, `${p}: ${secret}`).not.toContain(secret);
    }
    const components = await (await fetch(`${s.url}/api/v2/components.json`)).json();
    expect(components.components.find((c: { id: string }) => c.id === checkoutId).status).toBe(
      'operational',
    );
    const summary = await (await fetch(`${s.url}/api/v2/summary.json`)).json();
    expect(summary.status.indicator).toBe('none');
    expect(summary.incidents).toEqual([]);
    // No status history was written, so no uptime bar can show it later.
    expect(await s.deps.db.select().from(schema.componentStatusChanges)).toEqual([]);
  });

  it('answers its incident page and its follow page exactly like an unknown id', async () => {
    const unknown = 'zzzzzzzzzzzzzzzz';
    for (const p of ['/incidents/', '/subscribe/incident/']) {
      const mine = await fetch(s.url + p + incidentId);
      const none = await fetch(s.url + p + unknown);
      expect(mine.status, p).toBe(404);
      expect(none.status, p).toBe(404);
      const a = (await mine.text()).replaceAll(incidentId, 'ID');
      const b = (await none.text()).replaceAll(unknown, 'ID');
      for (const secret of SECRETS) expect(a).not.toContain(secret);
      if (p === '/incidents/') expect(a).toBe(b);
    }
    const followers = await s.deps.db.select().from(schema.incidentFollowers);
    expect(followers).toEqual([]);
  });

  it('reaches the internal list by mail, and no public list, webhook or chat channel', async () => {
    expect(smtp.to('customer@example.org')).toEqual([]);
    const staff = smtp.to('sales@herald.example');
    expect(staff.map((m) => m.parsed.subject)).toEqual([
      'PRIORITY 0 ISSUE UPDATE: P0SECRET-K7 CHECKOUT DOWN FOR ACME',
    ]);
    expect(staff[0]!.parsed.text).toContain('ACMENOTE-k7');
    expect(rx.received).toEqual([]);
    expect(await s.deps.db.select().from(schema.webhookDeliveries)).toEqual([]);

    // The positive control: a public P1 reaches all of them, so the silence above is the rule.
    await withPublicIncident();
    expect(smtp.to('customer@example.org').map((m) => m.parsed.subject)).toHaveLength(1);
    expect(rx.received.map((r) => r.url).sort()).toEqual(['/hook/slack', '/hook/webhook']);
    for (const r of rx.received) for (const secret of SECRETS) expect(r.body).not.toContain(secret);
  });

  it("reaches the lists of the audiences it was chosen for, and no other audience's list", async () => {
    const lists = await withAudienceLists();
    await makeUser(s, 'responder', 'bo@globex.com');
    const globexMember = new FormClient(s.url);
    await globexMember.login('bo@globex.com');
    for (const [c, slug] of [
      [acmeMember, 'acme-corp'],
      [globexMember, 'globex'],
    ] as const) {
      expect((await c.get(`/a/${slug}`)).res.status).toBe(200);
      const joined = await c.post(`/a/${slug}/lists`, { listId: lists[slug]!, action: 'join' });
      expect(joined.res.status).toBe(303);
    }

    const r = await responder.post(`/api/admin/incidents/${incidentId}/updates`, {
      body: 'ACMEUPDATE-k7 The shard is being moved.',
    });
    expect(r.status).toBe(201);
    await deliver();
    const about = (to: string) =>
      smtp.to(to).filter((m) => (m.parsed.text ?? '').includes('ACMEUPDATE-k7'));
    // Acme's member reads it on Acme's list, without the internal note Acme does not see.
    expect(about('ana@acme.com')).toHaveLength(1);
    expect(about('ana@acme.com')[0]!.parsed.text).not.toContain('ACMENOTE-k7');
    // Globex was not chosen: its list hears nothing, nor does the public list.
    expect(about('bo@globex.com')).toEqual([]);
    expect(about('customer@example.org')).toEqual([]);
    for (const m of [...smtp.to('bo@globex.com'), ...smtp.to('customer@example.org')])
      for (const secret of SECRETS) expect(m.parsed.text ?? '').not.toContain(secret);
  });

  it("previews its mail to its own audiences' lists and staff lists only, new or existing", async () => {
    await withAudienceLists();
    const listsOf = (r: { json: { lists: { name: string }[] } }) =>
      r.json.lists.map((l) => l.name).sort();
    // A new incident for Acme only, as the declare form's "Preview email" asks.
    const fresh = await responder.post('/api/admin/email-preview', {
      title: 'Acme tenant slow',
      priority: 0,
      body: 'Looking.',
      audiences: ['acme-corp'],
    });
    expect(fresh.status).toBe(200);
    expect(listsOf(fresh)).toEqual(['Stakeholders', 'acme-corp incident mail']);
    // The same incident for everyone reaches the public list and every audience's list.
    const everyone = await responder.post('/api/admin/email-preview', {
      title: 'Everyone slow',
      priority: 0,
      body: 'Looking.',
    });
    expect(listsOf(everyone)).toEqual(
      ['Customers', 'Stakeholders', 'acme-corp incident mail', 'globex incident mail'].sort(),
    );
    // An update to the existing Acme-only incident keeps its own choice.
    const update = await responder.post('/api/admin/email-preview', {
      incidentId,
      body: 'More.',
    });
    expect(listsOf(update)).toEqual(['Stakeholders', 'acme-corp incident mail']);
  });

  it("is on Acme's page, full history, token feeds and v2 JSON, with its component impact", async () => {
    await withPublicIncident();
    const page = await acmeMember.get('/a/acme-corp');
    expect(page.res.status).toBe(200);
    expect(page.html).toContain('P0SECRET-k7 Checkout down for Acme');
    expect(page.html).toContain('ACMEBODY-k7');
    expect(page.html).not.toContain('ACMENOTE-k7');
    expect(page.html).toContain('href="/a/acme-corp/history"');
    const history = await acmeMember.get('/a/acme-corp/history');
    expect(history.res.status).toBe(200);
    expect(history.res.headers.get('cache-control')).toBe('private, no-store');
    expect(history.html).toContain('P0SECRET-k7');
    expect(history.html).toContain('Public search slow');

    const acme = audiences['acme-corp']!;
    for (const feed of [acme.links.rss, acme.links.atom]) {
      const text = await (await fetch(local(feed))).text();
      expect(text).toContain('P0SECRET-k7');
      expect(text).not.toContain('ACMENOTE-k7');
    }
    const summary = await (await fetch(local(acme.links.summary))).json();
    expect(summary.incidents.map((i: { name: string }) => i.name)).toContain(
      'P0SECRET-k7 Checkout down for Acme',
    );
    expect(summary.components.find((c: { id: string }) => c.id === checkoutId).status).toBe(
      'major_outage',
    );
    const list = await (await fetch(local(acme.links.incidents))).json();
    const mine = list.incidents.find((i: { id: string }) => i.id === incidentId);
    expect(mine.audience_only).toBe(true);
  });

  it('is on the staff audience with its internal note, and not on another audience', async () => {
    await withPublicIncident();
    const staff = await (await fetch(local(audiences.staff!.links.incidents))).text();
    expect(staff).toContain('P0SECRET-k7');
    expect(staff).toContain('ACMENOTE-k7');
    const globex = audiences.globex!;
    for (const link of [globex.links.summary, globex.links.incidents, globex.links.rss]) {
      const text = await (await fetch(local(link))).text();
      for (const secret of SECRETS) expect(text, link).not.toContain(secret);
      expect(text).toContain('Public search slow');
    }
  });

  it('is marked with its audiences in the admin', async () => {
    const one = await responder.get(`/api/admin/incidents/${incidentId}`);
    expect(one.json.incident.audiences).toEqual([{ slug: 'acme-corp', name: 'Acme Corp' }]);
    const all = await responder.get('/api/admin/incidents');
    const row = all.json.incidents.find((i: { id: string }) => i.id === incidentId);
    expect(row.audiences).toEqual([{ slug: 'acme-corp', name: 'Acme Corp' }]);
  });

  it('refuses a non-member, a wrong token and an unknown audience, changing nothing', async () => {
    const auditBefore = await s.deps.db.select().from(schema.auditLog);
    const incidentsBefore = await s.deps.db.select().from(schema.incidents);
    await makeUser(s, 'responder', 'gil@globex.com');
    const outsider = new FormClient(s.url);
    await outsider.login('gil@globex.com');
    type Answer = { status: number; text: string; fields?: object };
    const page = (c: FormClient, p: string) => async (): Promise<Answer> => {
      const r = await c.get(p);
      return { status: r.res.status, text: r.html };
    };
    const feed = (p: string) => async (): Promise<Answer> => {
      const r = await fetch(s.url + p);
      return { status: r.status, text: await r.text() };
    };
    const api = (path: string, body: object) => async (): Promise<Answer> => {
      const r = await responder.post(path, body);
      return { status: r.status, text: JSON.stringify(r.json), fields: r.json.error?.fields };
    };
    const declare = { title: 'Nobody', priority: 2, body: 'x' };
    const preview = { title: 'X', priority: 0, body: 'Y' };
    // Pages and feeds answer 404 as for an unknown audience; declarations and previews name
    // the field. None carries a word of the incident.
    const refusals: [string, () => Promise<Answer>, 404 | 422][] = [
      ['a non-member on the page', page(outsider, '/a/acme-corp'), 404],
      ['a non-member on the history', page(outsider, '/a/acme-corp/history'), 404],
      ['a non-member on page 2', page(outsider, '/a/acme-corp/history?page=2'), 404],
      ['nobody signed in', page(new FormClient(s.url), '/a/acme-corp/history'), 404],
      [
        "another audience's feed token",
        feed(`/a/acme-corp/history.rss?token=${audiences.globex!.feedToken}`),
        404,
      ],
      [
        'a declaration for an unknown audience',
        api('/api/admin/incidents', { ...declare, audiences: ['no-such-audience'] }),
        422,
      ],
      [
        'a declaration for no audience',
        api('/api/admin/incidents', { ...declare, audiences: [] }),
        422,
      ],
      [
        'a preview for an unknown audience',
        api('/api/admin/email-preview', { ...preview, audiences: ['nobody'] }),
        422,
      ],
    ];
    for (const [who, ask, status] of refusals) {
      const r = await ask();
      expect(r.status, who).toBe(status);
      if (status === 422) expect(r.fields, who).toHaveProperty('audiences');
      for (const secret of SECRETS) expect(r.text, `${who}: ${secret}`).not.toContain(secret);
    }
    // Outsiders' page views write nothing; the refused declarations wrote nothing either
    // (the login of the new user is the only audit entry).
    const auditAfter = await s.deps.db.select().from(schema.auditLog);
    expect(auditAfter.filter((e) => e.action.startsWith('incident.'))).toEqual(
      auditBefore.filter((e) => e.action.startsWith('incident.')),
    );
    expect(await s.deps.db.select().from(schema.incidents)).toEqual(incidentsBefore);
  });

  it('resolving it leaves the public component status alone', async () => {
    await resolveIncident(s.deps, { incidentId, body: 'ACMEBODY-k7 Fixed.' }, testActor);
    const components = await (await fetch(`${s.url}/api/v2/components.json`)).json();
    expect(components.components.find((c: { id: string }) => c.id === checkoutId).status).toBe(
      'operational',
    );
    expect(await s.deps.db.select().from(schema.componentStatusChanges)).toEqual([]);
    const text = await (await fetch(`${s.url}/history.rss`)).text();
    expect(text).not.toContain('ACMEBODY-k7');
  });
});

describe('changing who may see an incident', () => {
  let s: ServerContext;
  let responder: ReturnType<typeof api>;
  let checkoutId: string;

  beforeAll(async () => {
    s = await startTestServer();
    const admin = api(s, (await makeToken(s, 'admin')).secret);
    responder = api(s, (await makeToken(s, 'responder')).secret);
    checkoutId = (await makeComponent(s.deps, { name: 'Checkout' })).id;
    for (const slug of ['acme-corp', 'globex'])
      expect((await admin.post('/api/admin/audiences', { name: slug, slug })).status).toBe(201);
  });
  afterAll(() => s?.close());

  const declare = async (audiences: unknown) => {
    const r = await responder.post('/api/admin/incidents', {
      title: 'WIDEN-q2 Checkout errors',
      priority: 2,
      body: 'WIDEN-q2 Some payments fail.',
      components: [{ componentId: checkoutId, status: 'partial_outage' }],
      audiences,
    });
    expect(r.status).toBe(201);
    return r.json.incident.id as string;
  };
  const publicComponent = async () =>
    (await (await fetch(`${s.url}/api/v2/components.json`)).json()).components.find(
      (c: { id: string }) => c.id === checkoutId,
    ).status;

  it('widening to everyone puts it on the public page at once, with its component impact', async () => {
    const id = await declare(['acme-corp']);
    expect((await fetch(`${s.url}/incidents/${id}`)).status).toBe(404);
    expect(await publicComponent()).toBe('operational');
    const r = await responder.put(`/api/admin/incidents/${id}/audiences`, {
      audiences: 'everyone',
    });
    expect(r.status).toBe(200);
    const page = await fetch(`${s.url}/incidents/${id}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('WIDEN-q2 Some payments fail.');
    expect(await publicComponent()).toBe('partial_outage');
    const audit = await s.deps.db
      .select()
      .from(schema.auditLog)
      .where(eq(schema.auditLog.action, 'incident.change_audiences'));
    expect(audit.map((a) => [a.before, a.after])).toEqual([
      [{ audiences: ['acme-corp'] }, { audiences: 'everyone' }],
    ]);
  });

  it('refuses to narrow an incident that has been public, says why, and changes nothing', async () => {
    const id = await declare('everyone');
    const before = await s.deps.db.select().from(schema.incidents);
    const auditBefore = await s.deps.db.select().from(schema.auditLog);
    const r = await responder.put(`/api/admin/incidents/${id}/audiences`, {
      audiences: ['acme-corp'],
    });
    expect(r.status).toBe(409);
    expect(r.json.error.message).toMatch(/has been public/);
    expect(await s.deps.db.select().from(schema.incidents)).toEqual(before);
    expect(await s.deps.db.select().from(schema.incidentAudiences)).toEqual([]);
    expect(await s.deps.db.select().from(schema.auditLog)).toEqual(auditBefore);
    expect((await fetch(`${s.url}/incidents/${id}`)).status).toBe(200);
  });

  it('moves an audience-only incident to other audiences without making it public', async () => {
    const id = await declare(['acme-corp']);
    const r = await responder.put(`/api/admin/incidents/${id}/audiences`, {
      audiences: ['globex'],
    });
    expect(r.status).toBe(200);
    const rows = await s.deps.db
      .select()
      .from(schema.incidentAudiences)
      .where(eq(schema.incidentAudiences.incidentId, id));
    expect(rows).toHaveLength(1);
    expect((await fetch(`${s.url}/incidents/${id}`)).status).toBe(404);
    const unknown = await responder.put(`/api/admin/incidents/${id}/audiences`, {
      audiences: ['nobody'],
    });
    expect(unknown.status).toBe(422);
    expect(
      await s.deps.db
        .select()
        .from(schema.incidentAudiences)
        .where(eq(schema.incidentAudiences.incidentId, id)),
    ).toEqual(rows);
  });

  it('a scheduled incident for chosen audiences stays off the public page when it publishes', async () => {
    const r = await responder.post('/api/admin/scheduled-incidents', {
      title: 'SCHED-w3 Planned failover for Acme',
      priority: 1,
      body: 'SCHED-w3 We fail over your database.',
      components: [{ componentId: checkoutId, status: 'degraded_performance' }],
      scheduledFor: new Date(s.clock.now().getTime() + 60 * 60_000).toISOString(),
      audiences: ['acme-corp'],
    });
    expect(r.status).toBe(201);
    s.clock.advance(61 * 60_000);
    expect(await publishDueUpdates(s.deps)).toHaveLength(1);
    const [row] = await s.deps.db
      .select()
      .from(schema.incidents)
      .where(eq(schema.incidents.id, r.json.incident.id));
    expect(row!.publishedAt).not.toBeNull();
    expect((await fetch(`${s.url}/incidents/${row!.id}`)).status).toBe(404);
    const text = await (await fetch(`${s.url}/api/v2/summary.json`)).text();
    expect(text).not.toContain('SCHED-w3');
    expect(await publicComponent()).not.toBe('degraded_performance');
  });

  it('keeps an incident off the public page when its only audience is removed', async () => {
    const admin = api(s, (await makeToken(s, 'admin')).secret);
    const made = await admin.post('/api/admin/audiences', { name: 'Gone', slug: 'gone' });
    const id = await declare(['gone']);
    expect((await admin.del(`/api/admin/audiences/${made.json.id}`)).status).toBe(204);
    expect((await fetch(`${s.url}/incidents/${id}`)).status).toBe(404);
    const text = await (await fetch(`${s.url}/api/v2/incidents.json`)).text();
    expect(text).not.toContain(id);
  });
});

describe('declaring for chosen audiences from the admin form', () => {
  let s: ServerContext;
  let pm: FormClient;

  beforeAll(async () => {
    s = await startTestServer();
    const admin = api(s, (await makeToken(s, 'admin')).secret);
    for (const [name, slug] of [
      ['Acme Corp', 'acme-corp'],
      ['Globex', 'globex'],
    ])
      expect((await admin.post('/api/admin/audiences', { name, slug })).status).toBe(201);
    await makeUser(s, 'responder', 'pm@herald.example');
    pm = new FormClient(s.url);
    await pm.login('pm@herald.example');
  });
  afterAll(() => s?.close());

  const form = (extra: Record<string, string | string[]>) => ({
    title: 'FORM-r5 Exports stuck',
    priority: '2',
    status: 'investigating',
    body: 'FORM-r5 Exports are delayed.',
    nextIn: 'default',
    notify: 'no',
    ...extra,
  });

  it('offers everyone (the default) or chosen audiences, and declares for the ticked ones', async () => {
    const page = await pm.get('/admin/incidents/new');
    expect(page.html).toMatch(/<input type="radio" name="seenBy" value="everyone" checked/);
    expect(page.html).toContain('name="onlyFor" value="acme-corp"');
    const r = await pm.post(
      '/admin/incidents/new',
      form({ seenBy: 'audiences', onlyFor: ['acme-corp', 'globex'] }),
    );
    expect(r.res.status).toBe(303);
    const id = r.res.headers.get('location')!.match(/incidents\/([^?]+)/)![1]!;
    const shown = await pm.get(`/admin/incidents/${id}?done=declared`);
    expect(shown.html).toContain('For Acme Corp, Globex only: not public');
    expect(shown.html).toContain('not the public ones');
    expect((await fetch(`${s.url}/incidents/${id}`)).status).toBe(404);
    const list = await pm.get('/admin/incidents');
    expect(list.html).toContain('for Acme Corp, Globex only');

    // "Make it public" on its page widens it.
    const widened = await pm.post(`/admin/incidents/${id}`, {
      _action: 'audiences',
      seenBy: 'everyone',
    });
    expect(widened.res.status).toBe(303);
    expect((await fetch(`${s.url}/incidents/${id}`)).status).toBe(200);
  });

  it('counts beside each audience who a P0 for it alone would mail, and mails exactly them', async () => {
    const admin = api(s, (await makeToken(s, 'admin')).secret);
    // Two on the public list, one on the internal list, one on Acme's, three on Globex's.
    const listFor = async (slug: string) => {
      const r = await admin.post('/api/admin/lists', {
        name: `${slug} count mail`,
        audience: slug,
        priorities: [0, 1],
      });
      expect(r.status).toBe(201);
      return r.json.list.slug as string;
    };
    const acmeList = await listFor('acme-corp');
    const globexList = await listFor('globex');
    for (const [email, list] of [
      ['pub1@example.org', 'customers'],
      ['pub2@example.org', 'customers'],
      ['team@herald.example', 'stakeholders'],
      ['ana@acme.com', acmeList],
      ['gus1@globex.com', globexList],
      ['gus2@globex.com', globexList],
      ['gus3@globex.com', globexList],
    ] as const)
      await makeConfirmedSubscriber(s.deps, email, list);

    const page = await pm.get('/admin/incidents/new');
    // Acme alone: its list and the internal list; Globex alone: its list and the internal list.
    expect(page.html).toMatch(
      /value="acme-corp"[^>]*> Acme Corp<span class="muted"> \(mails 2 people for P0, 2 people for P1\)/,
    );
    expect(page.html).toMatch(
      /value="globex"[^>]*> Globex<span class="muted"> \(mails 4 people for P0, 4 people for P1\)/,
    );
    expect(page.html).toContain('7 people for P0, 7 people for P1 if for everyone');

    // Back with both ticked (a refusal keeps the choice): the notify line counts that choice.
    const refused = await pm.post(
      '/admin/incidents/new',
      form({ title: '', seenBy: 'audiences', onlyFor: ['acme-corp', 'globex'] }),
    );
    expect(refused.res.status).toBe(422);
    expect(refused.html).toContain('5 people for P0, 5 people for P1, for the audiences ticked');

    // Declared for Acme only at P0, as the priority says: exactly the two counted get it.
    const r = await pm.post(
      '/admin/incidents/new',
      form({ priority: '0', notify: 'auto', seenBy: 'audiences', onlyFor: 'acme-corp' }),
    );
    expect(r.res.status).toBe(303);
    const id = r.res.headers.get('location')!.match(/incidents\/([^?]+)/)![1]!;
    const [broadcast] = await s.deps.db
      .select()
      .from(schema.broadcasts)
      .where(eq(schema.broadcasts.incidentId, id));
    const mailed = await s.deps.db
      .select({ email: schema.subscribers.email })
      .from(schema.deliveries)
      .innerJoin(schema.subscribers, eq(schema.subscribers.id, schema.deliveries.subscriberId))
      .where(eq(schema.deliveries.broadcastId, broadcast!.id));
    expect(mailed.map((m) => m.email).sort()).toEqual(['ana@acme.com', 'team@herald.example']);
  });

  it('keeps what was typed and marks the field when audiences are chosen but none is ticked', async () => {
    const before = await s.deps.db.select().from(schema.incidents);
    await pm.get('/admin/incidents/new');
    const r = await pm.post('/admin/incidents/new', form({ seenBy: 'audiences' }));
    expect(r.res.status).toBe(422);
    expect(r.html).toContain('Who may see it');
    expect(r.html).toMatch(/<input type="radio" name="seenBy" value="audiences" checked/);
    expect(r.html).toContain('FORM-r5 Exports are delayed.');
    expect(await s.deps.db.select().from(schema.incidents)).toEqual(before);
  });
});
