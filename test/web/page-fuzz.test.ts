import { readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isCacheablePath } from '../../server/cache/cache-policy.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { FormClient, makeUser, startSite } from '../helpers/site.ts';
import { fingerprintWatch } from '../helpers/fingerprint-watch.ts';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request with the path exactly as written (fetch would normalise it). */
function send(
  base: string,
  method: string,
  target: string,
  opts: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname, port, method, path: target, headers: opts.headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
        res.on('error', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.setHeader('content-length', Buffer.byteLength(opts.body));
    req.end(opts.body);
  });
}

/** Runs `jobs` a few at a time: enough to overlap, few enough for a busy 2-core machine. */
async function pool<T>(jobs: (() => Promise<T>)[], width = 4): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

const hex = (ch: string) => ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');

/** Spellings of one path that must answer as the path itself (or 404/400), never 5xx. */
function encodedVariants(p: string): string[] {
  const out = new Set<string>();
  const q = p.indexOf('?');
  const pathname = q < 0 ? p : p.slice(0, q);
  const query = q < 0 ? '' : p.slice(q);
  if (pathname.length > 1 && /[a-z0-9]/i.test(pathname[1]!)) {
    const c = pathname[1]!;
    out.add(`/%${hex(c)}${pathname.slice(2)}${query}`);
    out.add(`/%${hex(c).toLowerCase()}${pathname.slice(2)}${query}`);
    out.add(`/%25${hex(c)}${pathname.slice(2)}${query}`);
  }
  const mid = Math.floor(pathname.length / 2);
  if (/[a-z0-9]/i.test(pathname[mid] ?? ''))
    out.add(`${pathname.slice(0, mid)}%${hex(pathname[mid]!)}${pathname.slice(mid + 1)}${query}`);
  out.add(`/${pathname}${query}`);
  out.add(`/.${pathname}${query}`);
  out.add(`/x/..${pathname}${query}`);
  out.add(`/%2e%2e${pathname}${query}`);
  if (pathname.indexOf('/', 1) > 0) out.add(`${pathname.replace(/\/(?=[^/]*$)/, '%2f')}${query}`);
  return [...out];
}

/** Spellings that cannot be decoded into any page's path. */
const brokenVariants = (p: string) => {
  const q = p.indexOf('?');
  const [pathname, query] = q < 0 ? [p, ''] : [p.slice(0, q), p.slice(q)];
  return ['%zz', '%', '%C0%AF', '%00'].map((bad) => `${pathname}${bad}${query}`);
};

/** Every page the site builds, with its parameters filled. */
function pageRoutes(params: Record<string, string>): string[] {
  const root = fileURLToPath(new URL('../../site/src/pages/', import.meta.url));
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
    );
  return walk(root)
    .filter((f) => /\.(astro|ts)$/.test(f))
    .map((f) =>
      `/${path.relative(root, f)}`
        .replace(/\.(astro|ts)$/, '')
        .replace(/\/index$/, '')
        .replace(/\[(\w+)\]/g, (_m, name: string) => params[name] ?? 'x'),
    )
    .map((r) => r || '/');
}

/** Routes Hono answers besides the pages (feeds, public API, embed, live updates, health). */
const honoRoutes = [
  '/history.rss',
  '/history.atom',
  '/maintenance.ics',
  '/badge.svg',
  '/api/embed.json',
  '/uptime.json',
  '/api/maintenance',
  '/api/v2/summary.json',
  '/api/v2/status.json',
  '/api/v2/components.json',
  '/api/v2/incidents.json',
  '/api/v2/incidents/unresolved.json',
  '/api/v2/scheduled-maintenances.json',
  '/healthz',
  '/api/admin/openapi.json',
  '/api/admin/incidents',
];

describe('page fuzz: every route, percent-encoded and by HEAD, never answers 5xx or changes anything', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  let store: ReturnType<typeof fingerprintWatch>;
  let routes: string[];
  const counts = { requests: 0, fiveXx: 0, stateChangesOnRefused: 0 };
  const logged: string[] = [];

  let edge: http.Server;
  beforeAll(async () => {
    // A caching edge that takes every purge, so 404s and public pages carry their edge headers.
    edge = http.createServer((req, res) => {
      req.resume();
      res.end('ok');
    });
    await new Promise<void>((r) => edge.listen(0, '127.0.0.1', r));
    const edgePort = (edge.address() as { port: number }).port;
    t = await createTestContext({
      env: {
        LOG_LEVEL: 'error',
        EDGE_PURGE_URLS: `http://127.0.0.1:${edgePort}/`,
        PUBLIC_WEBHOOK_SIGNUP: 'true',
        COMPANY_DOMAINS: 'acme.com',
      },
    });
    site = await startSite(t);
    // The store without what moves by design: sign-in throttling records a refused attempt,
    // /healthz writes its probe row, and the edge's purge queue moves on its own schedule.
    store = fingerprintWatch(t, { leaveOut: ['login_attempts', 'edge_purges', 'health_probes'] });
    const component = await makeComponent(t.deps, { name: 'API' });
    const { incident } = await makeIncident(t.deps, { priority: 1 });
    routes = [
      ...pageRoutes({ id: incident.id, componentId: component.id }),
      ...honoRoutes,
      '/?page=2',
      '/history?page=1',
    ];
    for (const m of ['error', 'warn'] as const)
      vi.spyOn(console, m).mockImplementation((...a: unknown[]) => {
        logged.push(a.map(String).join(' '));
      });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    console.log(
      `page fuzz: ${counts.requests} requests, ${counts.fiveXx} answered 5xx, ${counts.stateChangesOnRefused} state changes on refused requests; the store compared ${store?.counts.taken} times, hashed ${store?.counts.hashed}`,
    );
    await site.close();
    store?.close();
    await t.close();
    await new Promise((r) => edge.close(r));
  });

  /** The store, hashed again only when something was committed since it last was. */
  const settled = () => store.take();

  async function go(method: string, target: string, opts?: Parameters<typeof send>[3]) {
    const r = await send(site.base, method, target, opts);
    counts.requests++;
    if (r.status >= 500) counts.fiveXx++;
    return r;
  }

  it('covers every page of the site and the Hono routes', () => {
    expect(routes.length).toBeGreaterThan(50);
    expect(routes).toContain('/report');
    expect(routes.some((r) => r.startsWith('/subscribe/incident/'))).toBe(true);
    expect(routes.some((r) => r.startsWith('/manage/webhook/'))).toBe(true);
  });

  it('answers each encoded spelling of a path as the path itself or 404/400, HEAD like GET without a body, and never a public copy of a per-visitor page', async () => {
    const before = await settled();
    const problems: string[] = [];
    await pool(
      routes.map((route) => async () => {
        const ref = await go('GET', route);
        const head = await go('HEAD', route);
        if (ref.status >= 500) problems.push(`GET ${route} ${ref.status}`);
        if (head.status !== ref.status || head.text !== '')
          problems.push(`HEAD ${route} ${head.status} vs ${ref.status}`);
        const perVisitor = !isCacheablePath(route);
        for (const v of encodedVariants(route)) {
          for (const method of ['GET', 'HEAD']) {
            const r = await go(method, v);
            if (![ref.status, 404, 400].includes(r.status))
              problems.push(`${method} ${v} ${r.status} (the path itself: ${ref.status})`);
            if (perVisitor && /public/.test(String(r.headers['cache-control'])))
              problems.push(`${method} ${v} is a public copy of a per-visitor page`);
            // A 404 may carry its page's keys (a write purges it) but never the edge's day.
            if (r.status === 404 && /s-maxage=86400/.test(String(r.headers['cache-control'])))
              problems.push(`${method} ${v} 404 is kept at the edge for a day`);
          }
        }
        for (const v of brokenVariants(route)) {
          const r = await go('GET', v);
          if (r.status !== 400 && r.status !== 404) problems.push(`GET ${v} ${r.status}`);
        }
      }),
    );
    expect(problems).toEqual([]);
    expect(logged).toEqual([]);
    expect(counts.fiveXx).toBe(0);
    expect(await settled()).toEqual(before);
  }, 240_000);

  it('answers a signed-in admin the same page under every encoded spelling of an admin path', async () => {
    const admin = await makeUser(t, 'admin');
    const client = new FormClient(site.base);
    await client.login(admin.email);
    const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const problems: string[] = [];
    await pool(
      routes
        .filter((r) => r.startsWith('/admin'))
        .map((route) => async () => {
          const ref = await go('GET', route, { headers: { cookie } });
          if (ref.status >= 500) problems.push(`GET ${route} ${ref.status}`);
          for (const v of encodedVariants(route)) {
            for (const method of ['GET', 'HEAD']) {
              const r = await go(method, v, { headers: { cookie } });
              if (![ref.status, 404, 400].includes(r.status))
                problems.push(`${method} ${v} ${r.status} (the path itself: ${ref.status})`);
              if (/public/.test(String(r.headers['cache-control'])))
                problems.push(`${method} ${v} is a public copy of an admin page`);
            }
          }
        }),
    );
    expect(problems).toEqual([]);
    expect(logged).toEqual([]);
  }, 240_000);

  it('refuses bad posts to every public form (reports, follows, webhook sign-up, lists, sign-in) with a 4xx and changes nothing', async () => {
    const { incident } = await makeIncident(t.deps, { priority: 1 });
    const forms = [
      '/subscribe',
      `/subscribe/incident/${incident.id}`,
      '/report',
      '/report/not-a-link',
      '/report/status/not-a-token',
      '/manage/not-a-token',
      '/manage/webhook/not-a-token',
      '/confirm/not-a-token',
      '/unsubscribe/not-a-token',
      '/login',
      '/setup',
    ];
    const fields = [
      'email',
      'url',
      'events',
      'componentIds',
      'listIds',
      'kind',
      'priority',
      'whatHappened',
      'reason',
      'password',
      'token',
      '_action',
      'intent',
    ];
    const values = ['', 'x'.repeat(20_000), '\u0000\u202e', '<script>x</script>', 'a@b', '-1'];
    for (const form of forms) {
      const page = await go('GET', form);
      const cookie = (page.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
      const csrf = /name="_csrf" value="([^"]*)"/.exec(page.text)?.[1] ?? '';
      const headers = (type: string) => ({
        'content-type': type,
        cookie,
        origin: site.base,
      });
      const urlencoded = 'application/x-www-form-urlencoded';
      const cases: { body: string; type: string; origin?: string }[] = [];
      for (const value of values) {
        const b = new URLSearchParams({ _csrf: csrf });
        for (const f of fields) b.append(f, value);
        cases.push({ body: b.toString(), type: urlencoded });
      }
      cases.push(
        { body: 'email=a%40acme.com', type: urlencoded }, // no form token
        { body: `_csrf=${csrf}&email=a%40acme.com`, type: 'application/json' },
        { body: `_csrf=${csrf}&email=a%40acme.com`, type: 'text/plain' },
        { body: '--b\r\nContent-Disposition: form-da', type: 'multipart/form-data; boundary=b' },
        { body: `_csrf=${encodeURIComponent(csrf)}&email=%ZZ`, type: urlencoded },
        {
          body: `--b\r\nContent-Disposition: form-data; name="attachment"; filename="x.html"\r\nContent-Type: text/html\r\n\r\n<html>\r\n--b--\r\n`,
          type: 'multipart/form-data; boundary=b',
        },
      );
      // The store after one post is the store before the next: nothing else writes meanwhile.
      let before = await settled();
      for (const c of cases) {
        for (const target of [form, ...encodedVariants(form).slice(0, 2)]) {
          const r = await go('POST', target, { body: c.body, headers: headers(c.type) });
          expect(r.status, `POST ${target} ${c.type} ${c.body.slice(0, 40)}`).toBeLessThan(500);
          const after = await settled();
          if (r.status >= 400 && JSON.stringify(after) !== JSON.stringify(before)) {
            counts.stateChangesOnRefused++;
            expect(after, `POST ${target} ${c.body.slice(0, 40)} changed the store`).toEqual(
              before,
            );
          }
          before = after;
        }
      }
    }
    expect(logged).toEqual([]);
    expect(counts.fiveXx).toBe(0);
  }, 240_000);

  it('answers odd live-stream requests without 5xx, and HEAD holds no stream', async () => {
    for (const target of [
      '/api/changes?x=1',
      '/api/changes?%zz',
      '/api/%63hanges',
      '/api/changes/',
      '/api/changes%2f',
    ]) {
      const r = await go('HEAD', target);
      expect(r.status, target).toBeLessThan(500);
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']) {
      const r = await go(method, '/api/changes');
      expect([method, r.status]).toEqual([method, expect.any(Number)]);
      expect(r.status, method).toBeGreaterThanOrEqual(400);
      expect(r.status, method).toBeLessThan(500);
    }
    const odd = await new Promise<number>((resolve, reject) => {
      const { hostname, port } = new URL(site.base);
      const req = http.request(
        {
          hostname,
          port,
          path: '/api/changes',
          headers: { 'last-event-id': '\u00ff'.repeat(10), accept: 'text/html' },
          agent: false,
        },
        (res) => {
          resolve(res.statusCode!);
          res.destroy();
        },
      );
      req.on('error', reject);
      req.end();
    });
    counts.requests++;
    expect(odd).toBe(200);
    expect(logged).toEqual([]);
  });
});
