import http from 'node:http';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAttempts, sessions, subscribers } from '../../db/schema/index.ts';
import { PAGE_BODY_LIMITS } from '../../server/web/mount-site.ts';
import { startChildSite } from '../helpers/child-site.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { FormClient, makeUser, startSite, TEST_PASSWORD } from '../helpers/site.ts';
import { makeConfirmedSubscriber } from '../helpers/subscribers.ts';

/** A raw POST (any content type, optionally streamed without Content-Length). */
function rawPost(
  base: string,
  path: string,
  body: Buffer | string,
  headers: Record<string, string>,
  opts: { chunked?: boolean } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { origin: base, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      },
    );
    // The server may answer (413) and close before the whole body is written.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    if (opts.chunked) {
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const total = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      req.once('close', () => (sent = total));
      pump();
    } else {
      req.setHeader('content-length', String(Buffer.byteLength(body)));
      req.end(body);
    }
  });
}

/** Any method, for the odd ones fetch will not send (TRACE). */
function rawRequest(base: string, method: string, path: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>(
    (resolve, reject) => {
      const req = http.request(new URL(path, base), { method }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('pages at their edges: methods, bodies, content types and query strings', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  beforeAll(async () => {
    t = await createTestContext({ env: { TRUST_PROXY: 'true' } });
    site = await startSite(t);
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('refusal pages speak the reader language: 413, 415, 400, 403 and 405', async () => {
    const de = { 'accept-language': 'de-DE' };
    const big = await rawPost(site.base, '/subscribe', 'a'.repeat(PAGE_BODY_LIMITS.public + 1), {
      ...de,
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(big.status).toBe(413);
    expect(big.text).toContain('<html lang="de" dir="ltr">');
    expect(big.text).toContain('<h1>Formular zu groß</h1>');
    expect(big.text).toContain('höchstens 16 KB');
    const json = await rawPost(site.base, '/subscribe?lang=ja', '{"email":"x@example.org"}', {
      'content-type': 'application/json',
    });
    expect(json.status).toBe(415);
    expect(json.text).toContain('<html lang="ja" dir="ltr">');
    expect(json.text).toContain('フォームではありません');
    expect(json.text).toContain('送信した内容:');
    expect(json.text).toContain('{&quot;email&quot;:&quot;x@example.org&quot;}');
    const broken = await rawPost(site.base, '/subscribe', '--xyz\r\nContent-Disposition: form-da', {
      cookie: 'herald_lang=fr',
      'content-type': 'multipart/form-data; boundary=xyz',
    });
    expect(broken.status).toBe(400);
    expect(broken.text).toContain('Formulaire illisible');
    const forged = await rawPost(site.base, '/subscribe?lang=ar', 'email=a%40example.org', {
      origin: 'https://evil.example',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('<html lang="ar" dir="rtl">');
    expect(forged.text).toContain('رُفض الطلب');
    expect(forged.text).toContain('href="/"');
    const trace = await rawRequest(site.base, 'PUT', '/history?lang=es');
    expect(trace.status).toBe(405);
    expect(trace.text).toContain('Las páginas de Herald responden a GET, HEAD y POST, no a PUT.');
    // The admin is the team's own tool: its refusals stay English whatever the browser asks.
    const admin = await rawRequest(site.base, 'PUT', '/admin?lang=de');
    expect(admin.text).toContain('<html lang="en"');
  });

  it('the subscribe and manage forms say what is wrong in the reader language, keyed by code', async () => {
    const bad = await new FormClient(site.base, { 'x-forwarded-for': '192.0.2.77' }).post(
      '/subscribe?lang=de',
      { email: 'not-an-address' },
    );
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('Bitte korrigieren Sie das unten markierte Feld.');
    expect(bad.html).toContain('Bitte eine E-Mail-Adresse wie name@example.com eingeben.');
    expect(bad.html).toContain('value="not-an-address"');
    expect(bad.html).not.toContain('must be an email address');
    const en = await new FormClient(site.base, { 'x-forwarded-for': '192.0.2.78' }).post(
      '/subscribe',
      { email: '' },
    );
    expect(en.html).toContain('Please fix the field marked below.');
    expect(en.html).toContain('is required');
    const ja = await new FormClient(site.base, { 'x-forwarded-for': '192.0.2.79' }).get(
      '/manage/not-a-real-token-at-all-000000?lang=ja',
    );
    expect(ja.res.status).toBe(404);
    expect(ja.html).toContain(
      'このリンクは無効です。最後に受け取ったメールの管理リンクを使ってください。',
    );
    const { token } = await makeConfirmedSubscriber(t.deps, 'sprache@example.org');
    const client = new FormClient(site.base, { 'x-forwarded-for': '192.0.2.80' });
    await client.get(`/manage/${token}?lang=it`);
    const refused = await client.post(`/manage/${token}?lang=it`, {
      action: 'save',
      language: 'tlh',
    });
    expect(refused.res.status).toBe(422);
    expect(refused.html).toContain('Correggi il campo segnalato qui sotto.');
  });

  it('answers TRACE, PUT, DELETE and OPTIONS on every kind of page with 405 and Allow', async () => {
    for (const path of ['/', '/subscribe', '/login', '/admin', '/incidents/x', '/nope']) {
      for (const method of ['TRACE', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
        const r = await rawRequest(site.base, method, path);
        expect([path, method, r.status]).toEqual([path, method, 405]);
        expect(r.headers.allow).toBe('GET, HEAD, POST');
      }
    }
    // Positive control: the same pages still answer GET.
    expect((await rawRequest(site.base, 'GET', '/')).status).toBe(200);
  });

  it('refuses POST /subscribe as JSON, text/plain or without a content type with a readable 415 that shows what was sent', async () => {
    const json = await rawPost(site.base, '/subscribe', '{"email":"json@example.org"}', {
      'content-type': 'application/json',
    });
    expect(json.status).toBe(415);
    expect(json.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(json.text).toContain('Not a form');
    expect(json.text).toContain('{&quot;email&quot;:&quot;json@example.org&quot;}');
    const text = await rawPost(site.base, '/subscribe', 'email=plain@example.org', {
      'content-type': 'text/plain',
    });
    expect(text.status).toBe(415);
    expect(text.text).toContain('email=plain@example.org');
    const none = await rawPost(site.base, '/subscribe', 'email=none@example.org', {});
    expect(none.status).toBe(415);
    // A password is never shown back.
    const login = await rawPost(site.base, '/login', 'email=a@example.org&password=hunter2', {
      'content-type': 'text/plain',
    });
    expect(login.status).toBe(415);
    expect(login.text).not.toContain('hunter2');
    const stored = await t.deps.db.select().from(subscribers);
    expect(stored.map((s) => s.email)).not.toEqual(expect.arrayContaining(['json@example.org']));
  });

  it('refuses a broken multipart body on POST /subscribe with a readable 400', async () => {
    const r = await rawPost(site.base, '/subscribe', '--xyz\r\nContent-Disposition: form-da', {
      'content-type': 'multipart/form-data; boundary=xyz',
    });
    expect(r.status).toBe(400);
    expect(r.text).toContain('Unreadable form');
    // Positive control: a well-formed multipart subscribe is taken.
    const fd = new FormData();
    fd.append('email', 'multipart@example.org');
    const ok = await fetch(`${site.base}/subscribe`, {
      method: 'POST',
      body: fd,
      headers: { origin: site.base },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('Check your inbox');
  });

  it('answers GET /500 with the 404 page, not the error page', async () => {
    const r = await fetch(`${site.base}/500`);
    expect(r.status).toBe(404);
    const html = await r.text();
    expect(html).not.toContain('Something went wrong');
    expect(html).toMatch(/not found/i);
  });

  it('answers a page number that names no page on /admin/subscribers, and ignores bad filters, never failing', async () => {
    const u = await makeUser(t, 'admin');
    const c = new FormClient(site.base);
    await c.login(u.email);
    await makeConfirmedSubscriber(t.deps, 'clamped@example.org');
    for (const [q, status] of [
      ['page=-1', 400],
      ['page=abc', 400],
      ['page=1.5', 400],
      ['page=99999999999', 404],
      ['state=bogus', 200],
      [`q=${'x'.repeat(5000)}`, 200],
    ] as const) {
      const r = await c.get(`/admin/subscribers?${q}`);
      expect([q.slice(0, 20), r.res.status]).toEqual([q.slice(0, 20), status]);
    }
    const all = await c.get('/admin/subscribers?state=bogus');
    expect(all.html).toContain('clamped@example.org');
  });

  it('answers a form larger than its limit with 413 before reading it, with and without Content-Length', async () => {
    const big = 'email=' + 'a'.repeat(PAGE_BODY_LIMITS.public + 1);
    const type = { 'content-type': 'application/x-www-form-urlencoded' };
    const declared = await rawPost(site.base, '/subscribe', big, type);
    expect(declared.status).toBe(413);
    expect(declared.text).toContain('Form too large');
    const streamed = await rawPost(site.base, '/login', big, type, { chunked: true });
    expect(streamed.status).toBe(413);
    // Positive control: a normal-sized subscribe goes through.
    const ok = await rawPost(site.base, '/subscribe', 'email=small%40example.org', type);
    expect(ok.status).toBe(200);
  });

  it('never redirects off-site after sign-in: /\\t/evil.example and other tricks land on /admin', async () => {
    const u = await makeUser(t, 'responder');
    for (const next of [
      '/\t/evil.example',
      '/%09/evil.example',
      '//evil.example',
      '/\\evil.example',
      '/.//evil.example/',
    ]) {
      const c = new FormClient(site.base);
      await c.get(`/login?next=${encodeURIComponent(next)}`);
      const r = await c.post('/login', { email: u.email, password: TEST_PASSWORD, next });
      expect(r.res.status).toBe(303);
      const location = r.res.headers.get('location')!;
      expect(new URL(location, site.base).origin).toBe(new URL(site.base).origin);
    }
    // Positive control: a same-origin path is followed.
    const c = new FormClient(site.base);
    await c.get('/login');
    const r = await c.post('/login', {
      email: u.email,
      password: TEST_PASSWORD,
      next: '/admin/components',
    });
    expect(r.res.headers.get('location')).toBe('/admin/components');
  });

  it('a control character in /login next falls back safely instead of failing after the cookie is set', async () => {
    const u = await makeUser(t, 'responder');
    const c = new FormClient(site.base);
    await c.get('/login');
    const r = await c.post('/login', {
      email: u.email,
      password: TEST_PASSWORD,
      next: '/admin/\u0001\r\nx-evil: 1',
    });
    expect(r.res.status).toBe(303);
    expect(r.res.headers.get('x-evil')).toBeNull();
    expect(r.res.headers.get('location')!.startsWith('/admin/')).toBe(true);
    expect((await c.get('/admin')).res.status).toBe(200);
  });

  it('wrong passwords from client A leave client B able to sign in; A gets 429 with Retry-After', async () => {
    const u = await makeUser(t, 'admin');
    const a = new FormClient(site.base, { 'x-forwarded-for': '203.0.113.7' });
    await a.get('/login');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await a.post('/login', { email: u.email, password: 'wrong' })).res.status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const blocked = await a.post('/login', { email: u.email, password: TEST_PASSWORD });
    expect(blocked.res.status).toBe(429);
    expect(Number(blocked.res.headers.get('retry-after'))).toBeGreaterThan(0);
    const b = new FormClient(site.base, { 'x-forwarded-for': '198.51.100.9' });
    await b.login(u.email);
    expect((await b.get('/admin')).res.status).toBe(200);
    // B's sign-in forgave nothing of A's: A still waits.
    expect((await a.post('/login', { email: u.email, password: TEST_PASSWORD })).res.status).toBe(
      429,
    );
    const rows = await t.deps.db
      .select()
      .from(loginAttempts)
      .where(eq(loginAttempts.email, u.email));
    expect(rows.every((r) => r.address === '203.0.113.7')).toBe(true);
  });

  it('a confirmed address and a new one both hit the subscribe limit after the same number of requests', async () => {
    await makeConfirmedSubscriber(t.deps, 'known@example.org');
    const statusesFor = async (email: string, client: string) => {
      const out: number[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await rawPost(site.base, '/subscribe', `email=${encodeURIComponent(email)}`, {
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': client,
        });
        out.push(r.status);
      }
      return out;
    };
    const known = await statusesFor('known@example.org', '192.0.2.10');
    const fresh = await statusesFor('fresh@example.org', '192.0.2.11');
    expect(known).toEqual(fresh);
    expect(known.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(known[5]).toBe(429);
  });

  it('sessions are not opened for refused sign-ins', async () => {
    const before = (await t.deps.db.select().from(sessions)).length;
    const c = new FormClient(site.base, { 'x-forwarded-for': '192.0.2.99' });
    await c.get('/login');
    await c.post('/login', { email: 'nobody@example.com', password: 'x' });
    expect((await t.deps.db.select().from(sessions)).length).toBe(before);
  });
});

describe('body limits hold memory down', () => {
  it('a 50 MB anonymous POST /subscribe and /login get 413 and the process RSS barely grows', async () => {
    const child = await startChildSite();
    try {
      const type = { 'content-type': 'application/x-www-form-urlencoded' };
      // Warm up the routes so their code is loaded before the baseline.
      await rawPost(child.base, '/subscribe', 'email=warm%40example.org', type);
      await rawPost(child.base, '/login', 'email=warm%40example.org&password=x', type);
      const before = child.rssBytes();
      const fifty = Buffer.alloc(50 * 1024 * 1024, 'a');
      const results = await Promise.all([
        rawPost(child.base, '/subscribe', fifty, type),
        rawPost(child.base, '/login', fifty, type),
        rawPost(child.base, '/subscribe', fifty, type, { chunked: true }),
        rawPost(child.base, '/login', fifty, type, { chunked: true }),
      ]);
      expect(results.map((r) => r.status)).toEqual([413, 413, 413, 413]);
      const grown = child.rssBytes() - before;
      // Reading even one of the bodies would add 50 MB.
      expect(grown).toBeLessThan(20 * 1024 * 1024);
    } finally {
      await child.stop();
    }
  });
});
