import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, makeToken } from '../helpers/api.ts';
import { makeIncident } from '../helpers/factories.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { FormClient, makeUser } from '../helpers/site.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

// Every paged page reads its `?page=` (or `?before=`) strictly: a page that does not exist is a
// 404 like the page after the last, whatever its size; something that is not a page number is a
// 400 with what to do; neither ever reaches the database as an offset it cannot hold.

const HUGE = '99999999999999999999';
const MALFORMED = ['abc', '-1', '1.5', '', '+1', '1e3', '%201'];

describe('paged pages and their page numbers', () => {
  let s: ServerContext;
  let admin: FormClient;
  let member: FormClient;
  beforeAll(async () => {
    s = await startTestServer({ env: { COMPANY_DOMAINS: 'herald.example' } });
    await makeIncident(s.deps, { title: 'Search was slow', priority: 2 });
    await makeConfirmedSubscriber(s.deps, 'reader@example.org', 'customers');
    const token = api(s, (await makeToken(s, 'admin')).secret);
    const made = await token.post('/api/admin/audiences', {
      name: 'Acme Corp',
      slug: 'acme-corp',
      memberDomains: ['acme.com'],
    });
    expect(made.status).toBe(201);
    await makeUser(s, 'admin', 'pm@herald.example');
    admin = new FormClient(s.url);
    await admin.login('pm@herald.example');
    await makeUser(s, 'responder', 'ana@acme.com');
    member = new FormClient(s.url);
    await member.login('ana@acme.com');
  });
  afterAll(() => s.close());

  async function get(path: string, client?: FormClient) {
    if (client) return client.get(path);
    const res = await fetch(s.url + path);
    return { res, html: await res.text() };
  }

  it('/history answers a page number past any page with 404 "There is no page", never a 500', async () => {
    for (const page of [HUGE, '100001', '2', '0']) {
      const { res, html } = await get(`/history?page=${page}`);
      expect(res.status, page).toBe(404);
      expect(html, page).toContain(`There is no page ${page}.`);
      expect(html, page).toContain('href="/history">Go to the newest entries</a>');
      expect(html, page).not.toContain('Search was slow');
    }
    const first = await get('/history?page=1');
    expect(first.res.status).toBe(200);
    expect(first.html).toContain('Search was slow');
  });

  it('/history answers what is not a page number with 400 and the way back, in the reader’s language', async () => {
    for (const page of MALFORMED) {
      const { res, html } = await get(`/history?page=${page}`);
      expect(res.status, page).toBe(400);
      expect(html, page).toContain('This link names no page');
      expect(html, page).toContain('href="/history">Go to the newest entries</a>');
      expect(res.headers.get('cache-control'), page).toBe('no-store');
    }
    const de = await get('/history?page=abc&lang=de');
    expect(de.res.status).toBe(400);
    expect(de.html).toContain('Dieser Link nennt keine Seite');
  });

  it('an audience’s history reads its page number the same way', async () => {
    expect((await get(`/a/acme-corp/history?page=${HUGE}`, member)).res.status).toBe(404);
    const bad = await get('/a/acme-corp/history?page=-1', member);
    expect(bad.res.status).toBe(400);
    expect(bad.html).toContain('This link names no page');
    expect((await get('/a/acme-corp/history?page=1', member)).res.status).toBe(200);
    // A non-member still learns nothing, whatever the page number.
    expect((await get('/a/acme-corp/history?page=abc')).res.status).toBe(404);
  });

  it('/admin/subscribers answers a page past the last with 404 and a malformed one with 400, listing nobody', async () => {
    const past = await get(`/admin/subscribers?page=${HUGE}`, admin);
    expect(past.res.status).toBe(404);
    expect(past.html).toContain(`There is no page ${HUGE}: there is 1 page.`);
    expect(past.html).not.toContain('reader@example.org');
    const bad = await get('/admin/subscribers?page=abc&q=reader', admin);
    expect(bad.res.status).toBe(400);
    expect(bad.html).toContain('Page numbers are whole numbers from 1.');
    expect(bad.html).toContain('href="/admin/subscribers?page=1&amp;q=reader"');
    const first = await get('/admin/subscribers?page=1', admin);
    expect(first.res.status).toBe(200);
    expect(first.html).toContain('reader@example.org');
  });

  it('/admin/audit answers a "before" that is not a time with 400, never a 500', async () => {
    for (const before of [HUGE, 'abc', '', '-5']) {
      const { res, html } = await get(`/admin/audit?before=${before}`, admin);
      expect(res.status, before).toBe(400);
      expect(html, before).toContain('is not a time from an “Older” link');
    }
    const ok = await get(`/admin/audit?before=${Date.UTC(2100, 0, 1)}`, admin);
    expect(ok.res.status).toBe(200);
    expect(ok.html).not.toContain('Nothing matches.');
  });
});
