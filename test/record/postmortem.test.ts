import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postIncidentUpdate } from '../../server/domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../server/domain/incidents/resolve-incident.ts';
import { renderMarkdown } from '../../server/domain/shared/render-markdown.ts';
import { api, makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { testWorker } from '../helpers/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';
import { makeUser } from './helpers.ts';

const MIN = 60_000;
const hostile = [
  '# What happened',
  '',
  '<script>alert("x")</script>',
  '<img src=x onerror="alert(1)">',
  '<p onclick="steal()">Click</p>',
  '',
  '[innocent](javascript:alert(1))',
  '',
  '<a href="JaVaScRiPt:alert(2)">also innocent</a>',
  '<iframe src="https://evil.example"></iframe>',
  '<style>body{display:none}</style>',
  '',
  'The **database** failed over. [Runbook](https://docs.example.com/runbook).',
].join('\n');

/** No live markup from the hostile text: HTML typed into Markdown may show as text, never act. */
function assertSafe(text: string, where: string) {
  for (const bad of [
    /<script/i,
    /<img/i,
    /<iframe/i,
    /<style/i,
    /<svg/i,
    // An event handler inside a tag (typed as text it has no `<` before it, only `&lt;`).
    /<[^>]*\son\w+\s*=/i,
    /<a\b[^>]*href\s*=\s*["']?\s*javascript:/i,
  ])
    expect(text, `${where}: ${bad}`).not.toMatch(bad);
}

describe('the post-mortem', () => {
  let t: TestContext;
  let smtp: SmtpSink;
  let call: ReturnType<typeof api>;
  let ana: Awaited<ReturnType<typeof makeUser>>;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await createTestContext({ env: { SMTP_URL: smtp.url, COMPANY_DOMAINS: 'acme.com' } });
    call = api(t, (await makeToken(t, 'responder')).secret);
    ana = await makeUser(t.deps, 'Ana');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  afterEach(() => smtp.clear());

  async function resolvedIncident(title = 'Checkout down') {
    const c = await makeComponent(t.deps, { name: `Checkout ${title}` });
    const { incident } = await makeIncident(t.deps, {
      priority: 1,
      title,
      body: 'Checkout fails.',
      components: [{ componentId: c.id, status: 'major_outage' }],
    });
    t.clock.advance(20 * MIN);
    await postIncidentUpdate(
      t.deps,
      {
        incidentId: incident.id,
        status: 'monitoring',
        body: 'A fix is live; watching.',
        components: [{ componentId: c.id, status: 'degraded_performance' }],
      },
      testActor,
    );
    t.clock.advance(25 * MIN);
    await resolveIncident(t.deps, { incidentId: incident.id, body: 'All clear.' }, testActor);
    return { incident, component: c };
  }

  it('refuses a post-mortem while the incident is unresolved (409)', async () => {
    const { incident } = await makeIncident(t.deps);
    const put = await call.put(`/api/admin/incidents/${incident.id}/postmortem`, {
      publicBody: '# x',
    });
    expect(put.status).toBe(409);
    const pub = await call.post(`/api/admin/incidents/${incident.id}/postmortem/publish`, {});
    expect(pub.status).toBe(409);
  });

  it('pre-fills a blameless draft with the timeline, the measured impact, decisions, changes, facts and action items', async () => {
    const { incident, component } = await resolvedIncident('Payments outage');
    await call.patch(`/api/admin/incidents/${incident.id}/facts`, {
      facts: { cause: 'Deploy 4711 dropped an index' },
    });
    await call.post(`/api/admin/incidents/${incident.id}/decisions`, {
      decision: 'Roll back deploy 4711',
      why: 'errors began with it',
    });
    await call.post(`/api/admin/incidents/${incident.id}/changes`, {
      what: 'CREATE INDEX orders_state_idx ON orders(state)',
      target: 'orders-db',
      ranById: ana.id,
      backupTaken: true,
      triedOnSample: false,
    });
    await call.post(`/api/admin/incidents/${incident.id}/action-items`, {
      title: 'Check migrations for dropped indexes in CI',
      kind: 'prevent',
      ownerId: ana.id,
      dueAt: '2026-12-01T10:00:00Z',
      phase: 'after',
    });
    const r = await call.get(`/api/admin/incidents/${incident.id}/postmortem`);
    expect(r.status).toBe(200);
    const d = r.json.postmortem;
    expect(d.prefilled).toBe(true);
    // The public part: what customers saw, and the measured impact.
    expect(d.publicBody).toContain('# Post-mortem: Payments outage');
    expect(d.publicBody).toContain(
      `**${component.name}**: not operational for 45 min (major outage 20 min, degraded performance 25 min)`,
    );
    expect(d.publicBody).toMatch(/\*\*Nov 21, \d\d:\d\d UTC\*\* Investigating: Checkout fails\./);
    expect(d.publicBody).toContain('Monitoring: A fix is live; watching.');
    expect(d.publicBody).toContain('Resolved: All clear.');
    // The internal part: the record, with staff names.
    expect(d.internalBody).toContain('Blameless');
    expect(d.internalBody).toContain('Roll back deploy 4711 (why: errors began with it)');
    expect(d.internalBody).toContain('`CREATE INDEX orders_state_idx ON orders(state)`');
    expect(d.internalBody).toContain('**not reviewed**');
    expect(d.internalBody).toContain('**What caused it?** Deploy 4711 dropped an index');
    expect(d.internalBody).toContain('## Contributing factors (5 whys)');
    expect(d.internalBody).toContain('## What went well');
    expect(d.internalBody).toContain(
      '- [ ] Check migrations for dropped indexes in CI (prevent, Ana',
    );
    for (const internal of ['4711', 'CREATE INDEX', 'orders-db', 'Ana', 'What caused it'])
      expect(d.publicBody, internal).not.toContain(internal);
    expect(d.actionItems.text).toBe('0 of 1 action item done');
    const items = await call.get(`/api/admin/action-items?incident=${incident.id}`);
    await call.patch(`/api/admin/action-items/${items.json.actionItems[0].id}`, { state: 'done' });
    await call.post(`/api/admin/incidents/${incident.id}/action-items`, {
      title: 'Page the DBA sooner',
      kind: 'process',
      ownerId: ana.id,
      dueAt: '2026-12-01T10:00:00Z',
      phase: 'after',
    });
    const tally = (await call.get(`/api/admin/incidents/${incident.id}/postmortem`)).json.postmortem
      .actionItems;
    expect(tally).toMatchObject({ text: '1 of 2 action items done', open: 1 });
  });

  it('publishing shows it on the page, both feeds and v2; unpublishing removes it everywhere', async () => {
    const { incident } = await resolvedIncident('Search down');
    const put = await call.put(`/api/admin/incidents/${incident.id}/postmortem`, {
      publicBody: '## Root cause\n\nA **full disk** on search-3. PM-MARKER',
    });
    expect(put.status).toBe(200);
    expect(put.json.postmortem).toMatchObject({ prefilled: false, publishedAt: null });
    const draftOnly = await (await t.app.request('/api/v2/incidents.json')).json();
    const before = draftOnly.incidents.find((i: { id: string }) => i.id === incident.id);
    expect(before).toMatchObject({
      postmortem_body: null,
      postmortem_body_last_updated_at: null,
      postmortem_published_at: null,
    });
    for (const path of ['/history.rss', '/history.atom'])
      expect(await (await t.app.request(path)).text(), path).not.toContain('PM-MARKER');

    t.clock.advance(MIN);
    const pub = await call.post(`/api/admin/incidents/${incident.id}/postmortem/publish`, {
      notify: false,
    });
    expect(pub.status).toBe(200);
    expect(pub.json.broadcast).toBeNull();
    for (const path of ['/api/v2/incidents.json', '/api/v2/summary.json']) {
      const j = await (await t.app.request(path)).json();
      if (path.includes('summary')) continue; // resolved incidents are not in the summary
      const i = j.incidents.find((x: { id: string }) => x.id === incident.id);
      expect(i.postmortem_body).toContain('<strong>full disk</strong>');
      expect(i.postmortem_published_at).toBe(t.clock.now().toISOString());
      expect(i.postmortem_body_last_updated_at).toBe(
        new Date(t.clock.now().getTime() - MIN).toISOString(),
      );
    }
    const rss = await (await t.app.request('/history.rss')).text();
    expect(rss).toContain('PM-MARKER');
    expect(rss).toContain('Postmortem');
    expect(await (await t.app.request('/history.atom')).text()).toContain('PM-MARKER');

    const del = await call.del(`/api/admin/incidents/${incident.id}/postmortem/publish`);
    expect(del.status).toBe(200);
    const after = await (await t.app.request('/api/v2/incidents.json')).json();
    expect(
      after.incidents.find((i: { id: string }) => i.id === incident.id).postmortem_body,
    ).toBeNull();
    for (const path of ['/history.rss', '/history.atom'])
      expect(await (await t.app.request(path)).text(), path).not.toContain('PM-MARKER');
    expect((await call.del(`/api/admin/incidents/${incident.id}/postmortem/publish`)).status).toBe(
      409,
    );
  });

  it('refuses a body over the limit, naming the field', async () => {
    const { incident } = await resolvedIncident('Big body');
    const r = await call.put(`/api/admin/incidents/${incident.id}/postmortem`, {
      publicBody: 'x'.repeat(100_001),
    });
    expect(r.status).toBe(422);
    expect(r.json.error.fields).toHaveProperty('publicBody');
    const internal = await call.put(`/api/admin/incidents/${incident.id}/postmortem`, {
      internalBody: 'x'.repeat(100_001),
    });
    expect(internal.json.error.fields).toHaveProperty('internalBody');
    // The single body of before is refused by name, not silently published.
    const old = await call.put(`/api/admin/incidents/${incident.id}/postmortem`, { body: '# x' });
    expect(old.status).toBe(422);
    const missing = await call.put(`/api/admin/incidents/${incident.id}/postmortem`, {});
    expect(missing.status).toBe(422);
  });

  it('sanitises hostile Markdown everywhere it is shown and emails it only when asked, with its subject', async () => {
    await makeConfirmedSubscriber(t.deps, 'reader@example.org', 'customers');
    const { incident } = await resolvedIncident('Login broken');
    await testWorker(t).drain();
    smtp.clear();
    await call.put(`/api/admin/incidents/${incident.id}/postmortem`, { publicBody: hostile });
    const pub = await call.post(`/api/admin/incidents/${incident.id}/postmortem/publish`, {
      notify: true,
    });
    expect(pub.json.broadcast.total).toBeGreaterThan(0);
    const v2 = await (await t.app.request('/api/v2/incidents.json')).json();
    const body = v2.incidents.find((i: { id: string }) => i.id === incident.id).postmortem_body;
    expect(body).toContain('<strong>database</strong>');
    expect(body).toContain('href="https://docs.example.com/runbook"');
    assertSafe(body, 'v2');
    for (const path of ['/history.rss', '/history.atom']) {
      const feed = await (await t.app.request(path)).text();
      expect(feed).toContain('database');
      // RSS carries the HTML as it is (CDATA), Atom escaped inside XML: unescape Atom once
      // to read it as a reader would.
      const unescaped = path.endsWith('.rss')
        ? feed
        : feed
            .replaceAll('&lt;', '<')
            .replaceAll('&gt;', '>')
            .replaceAll('&quot;', '"')
            .replaceAll('&amp;', '&');
      assertSafe(unescaped.slice(unescaped.indexOf('What happened')), path);
    }
    await testWorker(t).drain();
    const [mail] = smtp.to('reader@example.org');
    // A public list hears no priority: the internal PRIORITY pattern is for staff lists.
    expect(mail!.parsed.subject).toBe('Post-mortem: Login broken');
    expect(mail!.parsed.html).toContain('<strong>database</strong>');
    assertSafe(mail!.parsed.html!, 'email html');
  });

  it('renderMarkdown shows typed HTML as text, drops javascript: links and keeps formatting', () => {
    const out = renderMarkdown(hostile);
    assertSafe(out, 'renderMarkdown');
    expect(out).toContain('&lt;script&gt;alert("x")&lt;/script&gt;');
    expect(out).toContain('<h1>What happened</h1>');
    expect(out).toContain(
      '<a href="https://docs.example.com/runbook" rel="nofollow noopener">Runbook</a>',
    );
    expect(renderMarkdown('[x](  javascript:alert(1))')).not.toMatch(/javascript/i);
    expect(renderMarkdown('<a href="java&#x09;script:alert(1)">t</a>')).not.toMatch(/<a /i);
    assertSafe(renderMarkdown('<svg><animate onbegin="alert(1)"/></svg>'), 'svg');
    assertSafe(renderMarkdown('x <img src=x onerror=alert(1)> y'), 'inline');
    expect(renderMarkdown('`<b>` and <b>')).toBe('<p><code>&lt;b&gt;</code> and &lt;b&gt;</p>\n');
  });

  it('sends nothing for a post-mortem unpublished before its emails went out', async () => {
    await makeConfirmedSubscriber(t.deps, 'late-reader@example.org', 'customers');
    const { incident } = await resolvedIncident('Pulled back');
    await testWorker(t).drain();
    smtp.clear();
    await call.put(`/api/admin/incidents/${incident.id}/postmortem`, { publicBody: 'Too soon.' });
    const pub = await call.post(`/api/admin/incidents/${incident.id}/postmortem/publish`, {
      notify: true,
    });
    expect(pub.json.broadcast.total).toBeGreaterThan(0);
    await call.del(`/api/admin/incidents/${incident.id}/postmortem/publish`);
    await testWorker(t).drain();
    expect(smtp.received.filter((m) => m.parsed.subject?.includes('PULLED BACK'))).toEqual([]);
  });

  it('emails a post-mortem once: publishing it again after an edit with email is refused and mails nobody', async () => {
    await makeConfirmedSubscriber(t.deps, 'once@example.org', 'customers');
    const { incident } = await resolvedIncident('Billing twice');
    await testWorker(t).drain();
    smtp.clear();
    const path = `/api/admin/incidents/${incident.id}/postmortem`;
    await call.put(path, { publicBody: 'A retry loop charged twice.' });
    const first = await call.post(`${path}/publish`, { notify: true });
    expect(first.status).toBe(200);
    await testWorker(t).drain();
    await call.put(path, { publicBody: 'A retry loop charged twice. Refunds went out.' });
    const again = await call.post(`${path}/publish`, { notify: true });
    expect(again.status).toBe(409);
    expect(again.json.error.message).toMatch(/already emailed/);
    // Without email it publishes the edit.
    expect((await call.post(`${path}/publish`, { notify: false })).status).toBe(200);
    await testWorker(t).drain();
    const notices = smtp.to('once@example.org').map((m) => m.parsed.subject);
    expect(notices).toEqual(['Post-mortem: Billing twice']);
  });
});
