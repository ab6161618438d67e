import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../server/domain/shared/clock.ts';
import { createAudience } from '../../server/domain/audiences/manage-audiences.ts';
import { makeToken } from '../helpers/api.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import {
  freePort,
  type Proc,
  type VarnishProc,
  requestFrom,
  startHerald,
  startVarnish,
  waitForHealthy,
} from './edge-harness.ts';

// Debian's Varnish with deploy/varnish/herald.vcl in front of two real Herald processes on one
// database file. Every write purges through EDGE_PURGE_URLS before it answers.

describe('Herald behind Varnish', () => {
  let t: TestContext;
  let varnish: VarnishProc;
  let a: Proc;
  let b: Proc;
  let token: string;

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(varnish.url + path, { headers });
  const declare = (base: string, title: string) =>
    fetch(`${base}/api/admin/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title, priority: 2, body: `${title}: we are looking into it.` }),
    });
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${varnish.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    t = await createTestContext({ clock: systemClock });
    await makeComponent(t.deps, { name: 'Checkout' });
    await createAudience(
      t.deps,
      { name: 'Acme Corp', slug: 'acme-corp', memberDomains: ['acme.com'] },
      testActor,
    );
    token = (await makeToken(t, 'admin')).secret;
    const [pa, pb, pv] = [await freePort(), await freePort(), await freePort()];
    const env = { EDGE_PURGE_URLS: `http://127.0.0.1:${pv}/` };
    // Side by side: each waits for its own start, and the probe for both Heralds after.
    [varnish, a, b] = await Promise.all([
      startVarnish({ dir: t.dir, port: pv, backends: [pa, pb] }),
      startHerald({ dbUrl: t.dbUrl, dir: t.dir, port: pa, env }),
      startHerald({ dbUrl: t.dbUrl, dir: t.dir, port: pb, env }),
    ]);
    await waitForHealthy(varnish);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await varnish?.stop();
    await t?.close();
  });

  it('serves public pages from its cache, with Herald’s lifetimes and without the surrogate keys', async () => {
    for (const p of ['/', '/api/v2/summary.json', '/history.rss']) {
      await get(p);
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('x-cache'), p).toBe('HIT');
      expect(res.headers.get('cache-control'), p).toMatch(/^public, max-age=0, s-maxage=\d+/);
      expect(res.headers.get('xkey'), p).toBeNull();
    }
    const direct = await fetch(`${a.url}/`);
    expect(direct.headers.get('xkey')).toContain('herald');
    expect(direct.headers.get('xkey')).toContain('page');
  });

  it('shows a write through the admin API on the very next request through the edge', async () => {
    await get('/');
    expect((await get('/')).headers.get('x-cache')).toBe('HIT');
    for (let i = 0; i < 5; i++) {
      const title = `Checkout errors ${i}`;
      const w = await declare(varnish.url, title);
      expect(w.status).toBe(201);
      expect(await (await get('/')).text()).toContain(title);
      expect(await (await get('/api/v2/summary.json')).text()).toContain(title);
    }
  });

  it('stays fresh when the other Herald process takes the write', async () => {
    for (const base of [a.url, b.url]) {
      await get('/api/v2/incidents.json');
      const title = `Written through ${base === a.url ? 'A' : 'B'}`;
      expect((await declare(base, title)).status).toBe(201);
      expect(await (await get('/api/v2/incidents.json')).text()).toContain(title);
    }
  });

  it('serves each reader their language from its cache, by Accept-Language or the menu cookie', async () => {
    const asks: [Record<string, string>, string][] = [
      [{ 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' }, 'de'],
      [{ 'accept-language': 'ja' }, 'ja'],
      [{ cookie: 'herald_lang=ar', 'accept-language': 'de' }, 'ar'],
      [{ 'accept-language': 'en-US' }, 'en'],
    ];
    for (const [headers] of asks) await get('/', headers);
    for (let round = 0; round < 2; round++) {
      for (const [headers, lang] of asks) {
        const res = await get('/', headers);
        expect(res.headers.get('x-cache'), lang).toBe('HIT');
        expect(await res.text(), lang).toContain(`<html lang="${lang}"`);
        expect(res.headers.get('vary'), lang).toBe('Accept-Encoding, Accept-Language, Cookie');
      }
    }
    // A write purges every language's copy: each is fresh on its next request.
    expect((await declare(varnish.url, 'Sprachen-Test')).status).toBe(201);
    for (const [headers, lang] of asks) {
      const html = await (await get('/', headers)).text();
      expect(html, lang).toContain('Sprachen-Test');
      expect(html, lang).toContain(`<html lang="${lang}"`);
    }
  });

  it('never caches admin pages, form posts or requests with cookies', async () => {
    for (let i = 0; i < 2; i++) {
      const admin = await get('/admin');
      expect(admin.headers.get('x-cache')).not.toBe('HIT');
      expect(admin.headers.get('cache-control')).toBe('private, no-store');
      const login = await get('/login');
      expect(login.headers.get('x-cache')).not.toBe('HIT');
      const withCookie = await get('/', { cookie: 'herald_session=x' });
      expect(withCookie.headers.get('x-cache')).toBe('PASS');
    }
    const form = () =>
      fetch(`${varnish.url}/subscribe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'https://status.example.com',
        },
        body: 'email=reader%40example.org',
        redirect: 'manual',
      });
    const [first, second] = [await form(), await form()];
    expect(first.headers.get('x-cache')).not.toBe('HIT');
    expect(second.headers.get('x-cache')).not.toBe('HIT');
    expect(second.headers.get('age') ?? '0').toBe('0');
  });

  it('refuses a purge from an address outside its ACL and keeps the page', async () => {
    await get('/');
    const refused = await requestFrom('127.0.0.2', `${varnish.url}/`, 'PURGE', {
      'xkey-purge': 'herald',
    });
    expect(refused.status).toBe(403);
    const ban = await requestFrom('127.0.0.2', `${varnish.url}/`, 'BAN', { 'xkey-purge': 'page' });
    expect(ban.status).toBe(403);
    expect((await get('/')).headers.get('x-cache')).toBe('HIT');
    const allowed = await requestFrom('127.0.0.1', `${varnish.url}/`, 'PURGE', {
      'xkey-purge': 'page',
    });
    expect(allowed.status).toBe(200);
    expect((await get('/')).headers.get('x-cache')).toBe('MISS');
  });

  it('shows its incident page on the next request once it is made public', async () => {
    const declared = await call('POST', '/api/admin/incidents', {
      title: 'Checkout errors',
      priority: 2,
      body: 'WIDEN-r7 Some payments fail.',
      audiences: ['acme-corp'],
    });
    expect(declared.status).toBe(201);
    const id = (await declared.json()).incident.id as string;
    // Someone opens its address while it is for Acme only (the link in Acme's mail, say).
    expect((await fetch(`${varnish.url}/incidents/${id}`)).status).toBe(404);
    const widened = await call('PUT', `/api/admin/incidents/${id}/audiences`, {
      audiences: 'everyone',
    });
    expect(widened.status).toBe(200);
    // The public home page shows it at once...
    expect(await (await fetch(`${varnish.url}/`)).text()).toContain('Checkout errors');
    // ...and so should its own page.
    const page = await fetch(`${varnish.url}/incidents/${id}`);
    expect(
      { status: page.status, cache: page.headers.get('x-cache') },
      'the incident page through the edge after it was made public',
    ).toEqual({ status: 200, cache: expect.anything() });
    expect(await page.text()).toContain('WIDEN-r7 Some payments fail.');
  });

  it("answers each reader's 404 in their own language through the edge", async () => {
    // A dead link many follow at once (an old incident address, a page past the last).
    for (const path of ['/incidents/zzzzzzzzzzzz', '/history?page=99', '/no-such-page']) {
      const langOf = async (acceptLanguage: string) => {
        const r = await fetch(`${varnish.url}${path}`, {
          headers: { 'accept-language': acceptLanguage },
        });
        expect(r.status, path).toBe(404);
        return /<html lang="([^"]+)"/.exec(await r.text())?.[1];
      };
      expect(await langOf('de'), path).toBe('de');
      expect({ path, lang: await langOf('fr') }).toEqual({ path, lang: 'fr' });
    }
  });

  it('keeps serving the last pages (200) when every Herald process is down, even purged ones', async () => {
    const paths = ['/', '/api/v2/summary.json', '/history.atom'];
    const before = new Map<string, string>();
    for (const p of paths) {
      await get(p);
      before.set(p, await (await get(p)).text());
    }
    // A purged page is kept in grace: served stale when Herald cannot answer the refetch.
    await requestFrom('127.0.0.1', `${varnish.url}/`, 'PURGE', { 'xkey-purge': 'feed' });
    await Promise.all([a.stop(), b.stop()]);
    for (const p of paths) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(await res.text(), p).toBe(before.get(p));
    }
    // Once the probe has seen Herald gone, the stale copies are served straight away.
    await expect
      .poll(() => varnish.backends(), { timeout: 30_000, interval: 200 })
      .toEqual({ herald1: 'sick', herald2: 'sick' });
    for (const p of paths) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(await res.text(), p).toBe(before.get(p));
    }
  });
});
