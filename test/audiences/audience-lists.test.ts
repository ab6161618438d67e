import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { reviewUpdateLists } from '../../server/domain/broadcasts/review-lists.ts';
import { scheduleMaintenance } from '../../server/domain/maintenance/schedule-maintenance.ts';
import { savePostmortem } from '../../server/domain/postmortems/save-postmortem.ts';
import { publishPostmortem } from '../../server/domain/postmortems/publish-postmortem.ts';
import { requestSubscription } from '../../server/domain/subscribers/request-subscription.ts';
import { publicActor } from '../../server/domain/subscribers/public-actor.ts';
import { ValidationError } from '../../server/domain/shared/errors.ts';
import { api, makeToken } from '../helpers/api.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { linkPath, testWorker } from '../helpers/outbox.ts';
import { startTestServer, type ServerContext } from '../helpers/server.ts';
import { FormClient, makeUser } from '../helpers/site.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// An audience's own lists, end to end: an admin gives Acme a list, a member joins it from
// Acme's page, and every incident mail reaches it with Acme's text, only while the address is
// still an Acme member, and never anyone else.

describe("an audience's own lists", { timeout: 60_000 }, () => {
  let smtp: SmtpSink;
  let s: ServerContext;
  let admin: ReturnType<typeof api>;
  let checkout: { id: string };
  let billing: { id: string };
  let acmeId: string;
  let acmeList: { id: string };
  let partnersList: { id: string };
  let n = 0;

  const count = async (query: string) =>
    Number((await s.deps.db.all<{ n: number }>(sql.raw(query)))[0]!.n);
  const subscriberRows = () => count('select count(*) as n from subscribers');
  const marker = (what: string) => `${what}-${++n}-${Math.random().toString(36).slice(2, 8)}`;
  const drain = () => testWorker(s).drain();
  /** Every mail's text and HTML and subject, by recipient. */
  const mailTo = (email: string) =>
    smtp.to(email).map((m) => `${m.parsed.subject}\n${m.parsed.text}\n${m.parsed.html}`);
  const allMail = () =>
    smtp.received.map((m) => ({
      to: m.to.join(','),
      body: `${m.parsed.subject}\n${m.parsed.text}\n${m.parsed.html}`,
    }));

  /** Declares an incident on one component, promising the next update in 30 minutes. */
  function declareOn(
    component: { id: string },
    fields: { title: string; priority: 0 | 1; body: string } & Partial<
      Parameters<typeof declareIncident>[1]
    >,
  ) {
    return declareIncident(
      s.deps,
      {
        components: [{ componentId: component.id, status: 'major_outage' }],
        nextUpdateInMinutes: 30,
        ...fields,
      },
      testActor,
    );
  }

  async function signIn(email: string, slug = 'acme-corp') {
    const c = new FormClient(s.url);
    await c.get(`/a/${slug}/sign-in`);
    await c.post(`/a/${slug}/sign-in`, { email });
    await drain();
    const mail = smtp.to(email).at(-1);
    if (!mail) throw new Error(`no sign-in mail to ${email}`);
    const path = mail.parsed.text!.match(
      /https:\/\/status\.example\.com(\/a\/[a-z0-9-]+\/sign-in\/[\w-]+)/,
    )![1]!;
    await c.get(path);
    await c.post(path, {});
    return c;
  }

  async function join(c: FormClient, listId: string, slug = 'acme-corp') {
    const page = await c.get(`/a/${slug}`);
    expect(page.res.status).toBe(200);
    return c.post(`/a/${slug}/lists`, { listId, action: 'join' });
  }

  beforeAll(async () => {
    smtp = await startSmtpSink();
    s = await startTestServer({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'herald.example' } });
    admin = api(s, (await makeToken(s, 'admin')).secret);
    checkout = await makeComponent(s.deps, { name: 'Checkout' });
    billing = await makeComponent(s.deps, { name: 'Billing' });
    const acme = await admin.post('/api/admin/audiences', {
      name: 'Acme Corp',
      slug: 'acme-corp',
      memberDomains: ['acme.com'],
      memberEmails: ['cto@acme-holding.com'],
      componentIds: [checkout.id],
    });
    expect(acme.status).toBe(201);
    acmeId = acme.json.id;
    const partners = await admin.post('/api/admin/audiences', {
      name: 'Partners',
      slug: 'partners',
      memberDomains: ['partner.example'],
      seesInternal: true,
    });
    expect(partners.status).toBe(201);
    const a = await admin.post('/api/admin/lists', {
      name: 'Acme incident mail',
      description: 'Every P0 and P1 touching your services',
      audience: 'acme-corp',
      priorities: [0, 1],
    });
    expect(a.status).toBe(201);
    expect(a.json.list).toMatchObject({ audience: 'acme-corp', isInternal: false });
    acmeList = a.json.list;
    const p = await admin.post('/api/admin/lists', {
      name: 'Partner desk',
      audience: 'partners',
      priorities: [0, 1],
    });
    expect(p.status).toBe(201);
    partnersList = p.json.list;
    await makeConfirmedSubscriber(s.deps, 'reader@public.example', 'customers');
    await makeConfirmedSubscriber(s.deps, 'exec@herald.example', 'stakeholders');
  });
  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });
  beforeEach(() => smtp.clear());

  it('gives a list to an audience through the admin API, refusing an unknown audience and an internal or drill audience list', async () => {
    const before = await count('select count(*) as n from lists');
    const unknown = await admin.post('/api/admin/lists', { name: 'X', audience: 'nobody' });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error.fields).toHaveProperty('audience');
    const internal = await admin.post('/api/admin/lists', {
      name: 'Y',
      audience: 'acme-corp',
      isInternal: true,
      isDrill: true,
    });
    expect(internal.status).toBe(422);
    expect(Object.keys(internal.json.error.fields).sort()).toEqual(['isDrill', 'isInternal']);
    expect(await count('select count(*) as n from lists')).toBe(before);
    const listed = await admin.get('/api/admin/lists');
    const mine = listed.json.lists.find((l: { id: string }) => l.id === acmeList.id);
    expect(mine).toMatchObject({ audience: 'acme-corp', audienceName: 'Acme Corp' });
    // An edit that leaves `audience` out keeps it.
    const renamed = await admin.patch(`/api/admin/lists/${acmeList.id}`, {
      description: 'Every P0 and P1 touching your services.',
    });
    expect(renamed.status).toBe(200);
    expect(renamed.json.list.audience).toBe('acme-corp');
  });

  it('never offers or names an audience list on /subscribe, and its form cannot join one', async () => {
    const page = await fetch(`${s.url}/subscribe`);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('Get email updates');
    expect(html).not.toContain('Acme incident mail');
    expect(html).not.toContain('Partner desk');
    const before = await subscriberRows();
    const attempt = requestSubscription(
      s.deps,
      { email: 'ops@acme.com', listIds: [acmeList.id] },
      publicActor,
    );
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toThrow('does not exist');
    expect(await subscriberRows()).toBe(before);
  });

  it('lets a signed-in member join from the audience page with no confirmation, in the page language', async () => {
    const c = await signIn('ops@acme.com');
    const page = await c.get('/a/acme-corp');
    expect(page.html).toContain('Acme incident mail');
    expect(page.html).toContain('Get these emails');
    expect(page.html).not.toContain('Partner desk');
    smtp.clear();
    const r = await c.post('/a/acme-corp/lists?lang=de', { listId: acmeList.id, action: 'join' });
    expect(r.res.status).toBe(303);
    // Back to the page in the language the form was posted in.
    expect(r.res.headers.get('location')).toBe('/a/acme-corp?email=joined&lang=de#email');
    const after = await c.get('/a/acme-corp?email=joined');
    expect(after.html).toContain('You are on the list');
    expect(after.html).toMatch(/subscribed<\/span>\s*<button[^>]*value="leave"/);
    const rows = await s.deps.db.all<{ state: string; language: string; source: string }>(
      sql`select state, language, source from subscribers where email = 'ops@acme.com'`,
    );
    expect(rows).toEqual([{ state: 'confirmed', language: 'de', source: 'audience' }]);
    await drain();
    // No confirmation round-trip: the welcome, with its way out.
    const [welcome] = smtp.to('ops@acme.com');
    expect(smtp.to('ops@acme.com')).toHaveLength(1);
    expect(welcome!.parsed.text).toContain('/unsubscribe/');
    expect(welcome!.header('list-unsubscribe')).toContain('/unsubscribe/');
    // The section speaks the reader's language like the rest of the page.
    const de = await c.get('/a/acme-corp?email=joined&lang=de');
    expect(de.html).toContain('Updates per E-Mail');
    expect(de.html).toContain('Sie stehen auf der Liste');
    expect(de.html).toMatch(/abonniert<\/span>\s*<button[^>]*value="leave">Verlassen</);
    expect(de.html).not.toContain('You are on the list');
  });

  it('answers a non-member, a signed-out visitor and another audience list with the page 404, writing nothing', async () => {
    const partner = await signIn('desk@partner.example', 'partners');
    const before = await subscriberRows();
    // A partner who is not in Acme, posting Acme's list on Acme's page.
    await partner.get('/a/partners');
    const outsider = await partner.post('/a/acme-corp/lists', {
      listId: acmeList.id,
      action: 'join',
    });
    expect(outsider.res.status).toBe(404);
    // A signed-out browser with a form token of its own.
    const anon = new FormClient(s.url);
    await anon.get('/a/acme-corp/sign-in');
    const signedOut = await anon.post('/a/acme-corp/lists', {
      listId: acmeList.id,
      action: 'join',
    });
    expect(signedOut.res.status).toBe(404);
    // An Acme member naming another audience's list.
    const member = await signIn('dev@acme.com');
    await member.get('/a/acme-corp');
    const other = await member.post('/a/acme-corp/lists', {
      listId: partnersList.id,
      action: 'join',
    });
    expect(other.res.status).toBe(404);
    const notFound = await fetch(`${s.url}/a/no-such-audience`);
    expect(other.html.replace(/name="_csrf" value="[^"]*"/, '')).toContain('Not found');
    expect(notFound.status).toBe(404);
    expect(await subscriberRows()).toBe(before);
    // Without its form token the post is refused before anything is read.
    const noToken = await member.post(
      '/a/acme-corp/lists',
      { listId: acmeList.id, action: 'join' },
      { csrf: null },
    );
    expect(noToken.res.status).toBe(403);
    expect(await subscriberRows()).toBe(before);
  });

  it("mails a P0 to the member with Acme's text, to the public with the public text, and Acme's text to nobody else", async () => {
    const member = await signIn('cto@acme-holding.com');
    expect((await join(member, acmeList.id)).res.status).toBe(303);
    const partner = await signIn('lead@partner.example', 'partners');
    expect((await join(partner, partnersList.id, 'partners')).res.status).toBe(303);
    await drain();
    smtp.clear();
    const pub = marker('PUBLIC');
    const acme = marker('ACME');
    const note = marker('NOTE');
    const { incident } = await declareOn(checkout, {
      title: 'Checkout down',
      priority: 0,
      body: `${pub} Payments fail.`,
      internalNote: `${note} the PSP is rate-limiting us`,
      audienceTexts: [{ audience: 'acme-corp', body: `${acme} Your EU payments fail.` }],
    });
    await drain();
    const cto = mailTo('cto@acme-holding.com');
    expect(cto).toHaveLength(1);
    expect(cto[0]).toContain(acme);
    expect(cto[0]).not.toContain(pub);
    expect(cto[0]).not.toContain(note);
    // Customers hear impact, not the team's priority, on an audience list too.
    expect(cto[0]).not.toContain('PRIORITY 0');
    const reader = mailTo('reader@public.example');
    expect(reader).toHaveLength(1);
    expect(reader[0]).toContain(pub);
    expect(reader[0]).not.toContain(note);
    // Partners see internal text: the public text (they have none of their own) and the note.
    const lead = mailTo('lead@partner.example');
    expect(lead).toHaveLength(1);
    expect(lead[0]).toContain(pub);
    expect(lead[0]).toContain(note);
    expect(mailTo('exec@herald.example')[0]).toContain(note);
    const others = allMail().filter(
      (m) => m.to !== 'cto@acme-holding.com' && m.to !== 'ops@acme.com',
    );
    expect(others.length).toBeGreaterThanOrEqual(3);
    for (const m of others) expect(m.body, m.to).not.toContain(acme);

    // The all-clear with its own Acme text, then the post-mortem's public part.
    smtp.clear();
    const acmeClear = marker('ACME');
    await postIncidentUpdate(
      s.deps,
      {
        incidentId: incident.id,
        status: 'resolved',
        body: `${pub} Resolved.`,
        audienceTexts: [{ audience: 'acme-corp', body: `${acmeClear} Your payments work again.` }],
      },
      testActor,
    );
    await drain();
    expect(mailTo('cto@acme-holding.com')).toHaveLength(1);
    expect(mailTo('cto@acme-holding.com')[0]).toContain(acmeClear);
    for (const m of allMail().filter((x) => !x.to.includes('acme')))
      expect(m.body, m.to).not.toContain(acmeClear);
    smtp.clear();
    const pm = marker('POSTMORTEM');
    await savePostmortem(
      s.deps,
      { incidentId: incident.id, publicBody: `${pm} What happened.`, internalBody: `${note} x` },
      testActor,
    );
    await publishPostmortem(s.deps, { incidentId: incident.id, notify: true }, testActor);
    await drain();
    const ctoPm = mailTo('cto@acme-holding.com');
    expect(ctoPm).toHaveLength(1);
    expect(ctoPm[0]).toContain(pm);
    expect(ctoPm[0]).not.toContain(note);
  });

  it("sends nothing to an audience list for an incident outside its audience's components", async () => {
    const { incident } = await declareOn(billing, {
      title: 'Billing slow',
      priority: 1,
      body: 'Invoices are late.',
    });
    await drain();
    expect(mailTo('cto@acme-holding.com')).toHaveLength(0);
    expect(mailTo('lead@partner.example')).toHaveLength(1);
    expect(mailTo('reader@public.example')).toHaveLength(1);
    const onAcme = await count(
      `select count(*) as n from deliveries d join subscribers s on s.id = d.subscriber_id
       join broadcasts b on b.id = d.broadcast_id
       where s.list_id = '${acmeList.id}' and b.incident_id = '${incident.id}'`,
    );
    expect(onAcme).toBe(0);
    // The review before an update shows the same lists the broadcast took.
    const inc = { ...incident, impact: incident.impact ?? 'minor' };
    const billingReview = await reviewUpdateLists(s.deps.db, inc, 'identified');
    expect(billingReview.lists.map((l) => l.name)).not.toContain('Acme incident mail');
    const [checkoutIncident] = await s.deps.db.all<{ id: string }>(
      sql`select id from incidents where title = 'Checkout down'`,
    );
    const checkoutReview = await reviewUpdateLists(
      s.deps.db,
      { ...inc, id: checkoutIncident!.id, priority: 0 },
      'identified',
    );
    expect(checkoutReview.lists.find((l) => l.name === 'Acme incident mail')).toMatchObject({
      audience: 'public',
      namedAudience: 'Acme Corp',
    });
  });

  it("sends a maintenance notice to an audience list only for a window on the audience's components", async () => {
    const at = (h: number) => new Date(s.clock.now().getTime() + h * 3600_000).toISOString();
    await scheduleMaintenance(
      s.deps,
      {
        title: 'Billing upgrade',
        description: 'Invoices pause.',
        scheduledFor: at(48),
        scheduledUntil: at(50),
        componentIds: [billing.id],
      },
      testActor,
    );
    await drain();
    expect(mailTo('cto@acme-holding.com')).toHaveLength(0);
    expect(mailTo('reader@public.example')).toHaveLength(1);
    smtp.clear();
    await scheduleMaintenance(
      s.deps,
      {
        title: 'Checkout upgrade',
        description: 'Payments pause.',
        scheduledFor: at(72),
        scheduledUntil: at(74),
        componentIds: [checkout.id],
      },
      testActor,
    );
    await drain();
    expect(mailTo('cto@acme-holding.com')).toHaveLength(1);
    expect(mailTo('cto@acme-holding.com')[0]).toContain('Payments pause.');
  });

  it('stops mailing an address removed from the audience, and a domain removed, though still subscribed', async () => {
    const ops = await signIn('ops2@acme.com');
    expect((await join(ops, acmeList.id)).res.status).toBe(303);
    const cto = await s.deps.db.all<{ state: string }>(
      sql`select state from subscribers where email = 'cto@acme-holding.com'`,
    );
    expect(cto).toEqual([{ state: 'confirmed' }]);
    await drain();
    smtp.clear();
    const { incident } = await declareOn(checkout, {
      title: 'Checkout slow',
      priority: 1,
      body: 'Slow.',
    });
    await drain();
    expect(mailTo('cto@acme-holding.com')).toHaveLength(1);
    expect(mailTo('ops2@acme.com')).toHaveLength(1);
    smtp.clear();

    const put = (fields: Record<string, unknown>) =>
      admin.put(`/api/admin/audiences/${acmeId}`, {
        name: 'Acme Corp',
        slug: 'acme-corp',
        componentIds: [checkout.id],
        ...fields,
      });
    expect((await put({ memberDomains: ['acme.com'], memberEmails: [] })).status).toBe(200);
    await postIncidentUpdate(s.deps, { incidentId: incident.id, body: 'Still slow.' }, testActor);
    await drain();
    expect(mailTo('cto@acme-holding.com')).toHaveLength(0);
    expect(mailTo('ops2@acme.com')).toHaveLength(1);
    const skipped = await count(
      `select count(*) as n from deliveries d join subscribers s on s.id = d.subscriber_id
       where s.email = 'cto@acme-holding.com' and d.state = 'skipped'`,
    );
    expect(skipped).toBe(1);
    smtp.clear();

    expect((await put({ memberDomains: [], memberEmails: [] })).status).toBe(200);
    await postIncidentUpdate(s.deps, { incidentId: incident.id, body: 'Slower.' }, testActor);
    await drain();
    expect(mailTo('ops2@acme.com')).toHaveLength(0);
    expect(mailTo('reader@public.example')).toHaveLength(1);
    // Still subscribed: membership, not the subscription, stopped the mail.
    const still = await count(
      `select count(*) as n from subscribers where list_id = '${acmeList.id}' and state = 'confirmed'`,
    );
    expect(still).toBeGreaterThanOrEqual(2);
    expect(
      (
        await put({
          memberDomains: ['acme.com'],
          memberEmails: ['cto@acme-holding.com'],
        })
      ).status,
    ).toBe(200);
  });

  it("lets a member leave from the page and from every mail's unsubscribe link", async () => {
    const page = await signIn('leaver@acme.com');
    expect((await join(page, acmeList.id)).res.status).toBe(303);
    const linked = await signIn('linked@acme.com');
    expect((await join(linked, acmeList.id)).res.status).toBe(303);
    await drain();
    const { incident } = await declareOn(checkout, {
      title: 'Checkout errors',
      priority: 0,
      body: 'Errors.',
    });
    await drain();
    const mail = smtp.to('linked@acme.com').at(-1)!;
    const unsubscribe = linkPath(mail.parsed.text!, '/unsubscribe/');
    const browser = new FormClient(s.url);
    await browser.get(unsubscribe);
    expect((await browser.post(unsubscribe, {})).res.status).toBeLessThan(400);

    await page.get('/a/acme-corp');
    const left = await page.post('/a/acme-corp/lists', { listId: acmeList.id, action: 'leave' });
    expect(left.res.headers.get('location')).toBe('/a/acme-corp?email=left#email');
    expect((await page.get('/a/acme-corp?email=left')).html).toContain('Get these emails');
    smtp.clear();
    await postIncidentUpdate(s.deps, { incidentId: incident.id, body: 'Better.' }, testActor);
    await drain();
    expect(smtp.to('leaver@acme.com')).toHaveLength(0);
    expect(smtp.to('linked@acme.com')).toHaveLength(0);
    expect(smtp.to('cto@acme-holding.com')).toHaveLength(1);
  });

  it('delivers each audience mail exactly once when the relay refuses at first', async () => {
    smtp.reject(() => ({ code: 451, message: '4.3.2 try again later' }));
    const acme = marker('ACME');
    await declareOn(checkout, {
      title: 'Checkout refusing',
      priority: 0,
      body: 'Refusing.',
      audienceTexts: [{ audience: 'acme-corp', body: `${acme} Refusing for you.` }],
    });
    const { drain: drainNow } = testWorker(s);
    await drainNow();
    expect(smtp.received).toHaveLength(0);
    smtp.reject(null);
    s.clock.advance(2 * 3600_000);
    await drainNow();
    const members = await s.deps.db.all<{ email: string }>(
      sql`select email from subscribers where list_id = ${acmeList.id} and state = 'confirmed'`,
    );
    expect(members.length).toBeGreaterThanOrEqual(2);
    for (const { email } of members) {
      const got = smtp.to(email);
      expect(got, email).toHaveLength(1);
      expect(got[0]!.parsed.text).toContain(acme);
    }
    for (const m of allMail().filter((x) => !x.to.includes('acme')))
      expect(m.body, m.to).not.toContain(acme);
    const ids = smtp.received.map((m) => m.header('message-id'));
    expect(new Set(ids).size).toBe(ids.length);
    const unsent = await count(
      `select count(*) as n from deliveries d join subscribers s on s.id = d.subscriber_id
       where s.list_id = '${acmeList.id}' and d.state not in ('sent', 'skipped')`,
    );
    expect(unsent).toBe(0);
    // Each was refused once and sent on its retry.
    const retried = await count(
      `select count(*) as n from deliveries d join subscribers s on s.id = d.subscriber_id
       join broadcasts b on b.id = d.broadcast_id join incidents i on i.id = b.incident_id
       where s.list_id = '${acmeList.id}' and i.title = 'Checkout refusing' and d.attempts = 2`,
    );
    expect(retried).toBe(members.length);
  });

  it('shows and sets the audience on the admin lists page, keeping what was typed on a mistake', async () => {
    const user = await makeUser(s, 'admin');
    const c = new FormClient(s.url);
    await c.login(user.email);
    const page = await c.get('/admin/lists');
    expect(page.html).toContain('audience: Acme Corp');
    expect(page.html).toContain('members of Acme Corp, from its page');
    expect(page.html).toContain('<option value="acme-corp"');
    const before = await count('select count(*) as n from lists');
    const bad = await c.post('/admin/lists', {
      name: 'Acme staff notes',
      audience: 'acme-corp',
      isInternal: 'on',
      priorities: ['0'],
    });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('Acme staff notes');
    expect(bad.html).toMatch(/<option value="acme-corp" selected/);
    expect(await count('select count(*) as n from lists')).toBe(before);
    const good = await c.post('/admin/lists', {
      name: 'Acme status',
      audience: 'acme-corp',
      priorities: ['0', '1', '2'],
    });
    expect(good.res.status).toBe(303);
    expect(
      await count(
        `select count(*) as n from lists where name = 'Acme status' and audience_id = '${acmeId}'`,
      ),
    ).toBe(1);
  });

  it('removes an audience with its lists and their subscribers', async () => {
    const temp = await admin.post('/api/admin/audiences', {
      name: 'Short-lived',
      slug: 'short-lived',
      memberDomains: ['short.example'],
    });
    const list = await admin.post('/api/admin/lists', {
      name: 'Short list',
      audience: 'short-lived',
    });
    expect(list.status).toBe(201);
    const c = await signIn('a@short.example', 'short-lived');
    expect((await join(c, list.json.list.id, 'short-lived')).res.status).toBe(303);
    expect((await admin.del(`/api/admin/audiences/${temp.json.id}`)).status).toBeLessThan(300);
    expect(await count(`select count(*) as n from lists where id = '${list.json.list.id}'`)).toBe(
      0,
    );
    expect(
      await count(`select count(*) as n from subscribers where email = 'a@short.example'`),
    ).toBe(0);
  });
});
