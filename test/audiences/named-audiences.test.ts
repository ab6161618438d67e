import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declareIncident } from '../../server/domain/incidents/declare-incident.ts';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import * as schema from '../../db/schema/index.ts';
import { api, makeToken } from '../helpers/api.ts';
import { testActor } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { startTestServer, type ServerContext } from '../helpers/server.ts';
import { FormClient, makeUser } from '../helpers/site.ts';

const PUBLIC_PATHS = [
  '/',
  '/history',
  '/history.rss',
  '/history.atom',
  '/api/v2/summary.json',
  '/api/v2/incidents.json',
  '/api/v2/incidents/unresolved.json',
  '/api/v2/components.json',
  '/api/embed.json',
  '/badge.svg',
];

// The headers a shared cache has been fooled with elsewhere: none may turn one visitor's request
// into another's answer.
const hostile = (target: string): Record<string, string> => ({
  'x-original-url': target,
  'x-rewrite-url': target,
  'x-forwarded-host': 'evil.example',
  'x-forwarded-proto': 'http',
  'x-forwarded-prefix': target,
  forwarded: 'host=evil.example;proto=http',
  'x-http-method-override': 'GET',
  'accept-encoding': 'gzip, br',
});

describe('named audiences', () => {
  let s: ServerContext;
  let admin: ReturnType<typeof api>;
  let acme: { id: string; slug: string; feedToken: string; links: Record<string, string> };
  let staff: { feedToken: string; links: Record<string, string> };
  let incidentId: string;

  beforeAll(async () => {
    s = await startTestServer();
    admin = api(s, (await makeToken(s, 'admin')).secret);
    const checkout = await makeComponent(s.deps, { name: 'Checkout' });
    await makeComponent(s.deps, { name: 'Internal billing' });
    const created = await admin.post('/api/admin/audiences', {
      name: 'Acme Corp',
      slug: 'acme-corp',
      memberDomains: ['acme.com'],
      componentIds: [checkout.id],
    });
    expect(created.status).toBe(201);
    acme = created.json;
    const staffAudience = await admin.post('/api/admin/audiences', {
      name: 'Staff',
      slug: 'staff',
      everyoneSignedIn: true,
      seesInternal: true,
    });
    expect(staffAudience.status).toBe(201);
    staff = staffAudience.json;
    const { incident } = await declareIncident(
      s.deps,
      {
        title: 'Checkout errors',
        priority: 2,
        body: 'PUBLIC-d31 Some payments fail.',
        internalNote: 'NOTE-d31 the PSP is rate-limiting us',
        components: [{ componentId: checkout.id, status: 'partial_outage' }],
        audienceTexts: [{ audience: 'acme-corp', body: 'ACME-d31 Your EU payments fail.' }],
      },
      testActor,
    );
    incidentId = incident.id;
    await postIncidentUpdate(
      s.deps,
      { incidentId, body: 'PUBLIC-d31 A fix is rolling out.' },
      testActor,
    );
  });
  afterAll(() => s.close());
  /** The links name the public URL; ask this server for the same path and query. */
  const local = (link: string | undefined) => {
    const u = new URL(link!);
    return s.url + u.pathname + u.search;
  };

  it('gives each audience its own text for the same update, with the public text as the default', async () => {
    const res = await fetch(local(acme.links.incidents));
    expect(res.status).toBe(200);
    const body = await res.json();
    const i = body.incidents.find((x: { id: string }) => x.id === incidentId);
    const texts = i.incident_updates.map((u: { body: string }) => u.body);
    expect(texts).toEqual(['PUBLIC-d31 A fix is rolling out.', 'ACME-d31 Your EU payments fail.']);
    expect(JSON.stringify(body)).not.toContain('NOTE-d31');
    expect(body.page.url).toMatch(/\/a\/acme-corp$/);
    for (const feed of [local(acme.links.rss), local(acme.links.atom)]) {
      const text = await (await fetch(feed)).text();
      expect(text, feed).toContain('ACME-d31');
      expect(text, feed).not.toContain('NOTE-d31');
    }
  });

  it('shows an audience only its components', async () => {
    const body = await (await fetch(local(acme.links.summary))).json();
    expect(body.components.map((c: { name: string }) => c.name)).toEqual(['Checkout']);
    const all = await (await fetch(local(staff.links.summary))).json();
    expect(all.components.map((c: { name: string }) => c.name).sort()).toEqual([
      'Checkout',
      'Internal billing',
    ]);
  });

  it('gives internal notes only to an audience that sees internal text', async () => {
    const body = await (await fetch(local(staff.links.incidents))).json();
    const i = body.incidents.find((x: { id: string }) => x.id === incidentId);
    expect(
      i.incident_updates.map((u: { internal_note: string | null }) => u.internal_note),
    ).toEqual([null, 'NOTE-d31 the PSP is rate-limiting us']);
    // Staff read the public text: the Acme text is Acme's alone.
    expect(JSON.stringify(body)).not.toContain('ACME-d31');
  });

  it('gives the internal priority only to an audience that sees internal text; a customer hears the impact', async () => {
    const customer = await (await fetch(local(acme.links.incidents))).json();
    const forAcme = customer.incidents.find((x: { id: string }) => x.id === incidentId);
    expect(forAcme.impact).toBe('major');
    expect(forAcme).not.toHaveProperty('priority');
    const team = await (await fetch(local(staff.links.incidents))).json();
    expect(team.incidents.find((x: { id: string }) => x.id === incidentId).priority).toBe(2);
  });

  it('never mentions audiences, their texts or their notes on a public surface', async () => {
    for (const p of PUBLIC_PATHS) {
      const res = await fetch(s.url + p);
      expect(res.status, p).toBe(200);
      const text = await res.text();
      for (const secret of ['ACME-d31', 'NOTE-d31', 'acme-corp', 'Acme Corp', '/a/'])
        expect(text, `${p}: ${secret}`).not.toContain(secret);
    }
    const page = await (await fetch(`${s.url}/incidents/${incidentId}`)).text();
    expect(page).toContain('PUBLIC-d31 Some payments fail.');
    expect(page).not.toContain('ACME-d31');
  });

  it('answers a wrong token, a missing token and an unknown audience with the same 404, changing nothing', async () => {
    const before = await s.deps.db.select().from(schema.auditLog);
    const answers = [];
    for (const url of [
      `${s.url}/a/acme-corp/api/v2/summary.json`,
      `${s.url}/a/acme-corp/api/v2/summary.json?token=${staff.feedToken}`,
      `${s.url}/a/acme-corp/api/v2/summary.json?token=${acme.feedToken.slice(0, -1)}x`,
      `${s.url}/a/nobody/api/v2/summary.json?token=${acme.feedToken}`,
      `${s.url}/a/acme-corp/history.rss?token=`,
    ]) {
      const res = await fetch(url);
      answers.push([res.status, res.headers.get('cache-control'), await res.text()]);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]![0]).toBe(404);
    expect(answers[0]![1]).toBe('private, no-store');
    expect(await s.deps.db.select().from(schema.auditLog)).toEqual(before);
  });

  it('answers audiences private and out of every cache, whatever headers come with the request', async () => {
    const ok = await fetch(local(acme.links.summary), { headers: hostile('/api/v2/summary.json') });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('private, no-store');
    for (const h of ['xkey', 'surrogate-key', 'cache-tag', 'surrogate-control', 'etag'])
      expect(ok.headers.get(h), h).toBeNull();
    const path = new URL(acme.links.summary!).pathname;
    // Straight after a member's request, the same path without the token, dressed up.
    for (let k = 0; k < 3; k++) {
      const res = await fetch(s.url + path, { headers: hostile(acme.links.summary!) });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('ACME-d31');
    }
    // And the public path, dressed up as the audience's, is the public answer.
    const pub = await fetch(`${s.url}/api/v2/incidents.json`, {
      headers: hostile(
        new URL(acme.links.incidents!).pathname + new URL(acme.links.incidents!).search,
      ),
    });
    expect(await pub.text()).not.toContain('ACME-d31');
  });

  it('refuses an update text for an audience that does not exist and writes nothing', async () => {
    const before = await s.deps.db.select().from(schema.incidentUpdates);
    const token = (await makeToken(s, 'responder')).secret;
    const r = await api(s, token).post(`/api/admin/incidents/${incidentId}/updates`, {
      body: 'PUBLIC-d31 More.',
      audienceTexts: [{ audience: 'nobody', body: 'Hidden.' }],
    });
    expect(r.status).toBe(422);
    expect(r.json.error.fields).toHaveProperty('audienceTexts');
    expect(await s.deps.db.select().from(schema.incidentUpdates)).toEqual(before);
  });

  it('refuses a second audience at the same address, and audiences for responders', async () => {
    const again = await admin.post('/api/admin/audiences', { name: 'Acme 2', slug: 'acme-corp' });
    expect(again.status).toBe(409);
    const responder = api(s, (await makeToken(s, 'responder')).secret);
    const r = await responder.post('/api/admin/audiences', { name: 'X', slug: 'x' });
    expect(r.status).toBe(403);
    expect((await admin.get('/api/admin/audiences')).json.audiences).toHaveLength(2);
  });
  it('shows the audience page to members only: a non-member, a signed-out visitor and an unknown audience get the same 404', async () => {
    await makeUser(s, 'responder', 'ana@acme.com');
    await makeUser(s, 'responder', 'omar@example.org');
    const member = new FormClient(s.url);
    await member.login('ana@acme.com');
    const page = await member.get('/a/acme-corp');
    expect(page.res.status).toBe(200);
    expect(page.res.headers.get('cache-control')).toBe('private, no-store');
    expect(page.html).toContain('Acme Corp');
    expect(page.html).toContain('ACME-d31 Your EU payments fail.');
    expect(page.html).toContain('PUBLIC-d31 A fix is rolling out.');
    expect(page.html).not.toContain('NOTE-d31');
    expect(page.html).not.toContain('Internal billing');
    expect(page.html).toContain(`token=${acme.feedToken}`);

    // A customer audience reads impact, as the public page does; the priority is staff jargon.
    expect(page.html).toMatch(/<span class="impact">[^<]+<\/span>/);
    expect(page.html).not.toMatch(/class="priority"[^>]*>P2</);
    const staffPage = await member.get('/a/staff');
    expect(staffPage.res.status).toBe(200);
    expect(staffPage.html).toMatch(/class="priority"[^>]*>P2</);

    const outsider = new FormClient(s.url);
    await outsider.login('omar@example.org');
    const refused = [
      await outsider.get('/a/acme-corp'),
      await new FormClient(s.url).get('/a/acme-corp'),
      await member.get('/a/nobody'),
    ];
    for (const r of refused) {
      expect(r.res.status).toBe(404);
      expect(r.res.headers.get('cache-control')).toBe('private, no-store');
      for (const secret of ['Acme Corp', 'ACME-d31', 'PUBLIC-d31', acme.feedToken])
        expect(r.html).not.toContain(secret);
    }
  });
});
