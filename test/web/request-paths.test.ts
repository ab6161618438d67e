import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { canonicalRequestUrl } from '../../server/http/request-path.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { startSite } from '../helpers/site.ts';

/** One request through Node's client: the path goes out exactly as written (fetch normalises). */
function rawRequest(base: string, method: string, path: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>(
    (resolve, reject) => {
      const { hostname, port } = new URL(base);
      const req = http.request({ hostname, port, method, path }, (res) => {
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

/** Everything the process writes through the console while `run` runs. */
async function consoleLines(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const keep = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  const spies = [
    vi.spyOn(console, 'error').mockImplementation(keep),
    vi.spyOn(console, 'warn').mockImplementation(keep),
    vi.spyOn(console, 'log').mockImplementation(keep),
  ];
  try {
    await run();
  } finally {
    for (const s of spies) s.mockRestore();
  }
  return lines;
}

describe('one canonical path for every decision', () => {
  it('decodes until stable, collapses slashes, resolves dot segments and keeps the query as sent', () => {
    const table: [string, string][] = [
      ['/%61dmin', '/admin'],
      ['/%2561dmin', '/admin'],
      ['/ad%6din', '/admin'],
      ['/admin%2fusers', '/admin/users'],
      ['//admin', '/admin'],
      ['/x/../admin', '/admin'],
      ['/%2e%2e/admin', '/admin'],
      ['/\\admin', '/admin'],
      ['/incidents/%E2%98%83', '/incidents/%E2%98%83'],
      ['/?next=%2F%2Fevil', '/?next=%2F%2Fevil'],
      ['/report?sent=a%40b', '/report?sent=a%40b'],
    ];
    for (const [raw, canonical] of table)
      expect([raw, canonicalRequestUrl(raw)]).toEqual([raw, { url: canonical }]);
    for (const raw of ['/%zz', '/%E2%98', '/a%00b', '/admin%3Fx', '/%25252525252561dmin'])
      expect([raw, 'bad' in canonicalRequestUrl(raw)]).toEqual([raw, true]);
  });
});

describe('encoded paths, HEAD and 404s at the page edge', () => {
  let t: TestContext;
  let site: Awaited<ReturnType<typeof startSite>>;
  beforeAll(async () => {
    t = await createTestContext({
      env: { LOG_LEVEL: 'debug', EDGE_PURGE_URLS: 'http://127.0.0.1:9/' },
    });
    site = await startSite(t);
  });
  afterAll(async () => {
    await site.close();
    await t.close();
  });

  it('a percent-encoded path is the same page as the decoded one (admin asks for sign-in), never a 500', async () => {
    for (const path of ['/%61dmin', '/%2561dmin', '/ad%6din', '//admin', '/admin%2fusers']) {
      const r = await rawRequest(site.base, 'GET', path);
      expect([path, r.status]).toEqual([path, 303]);
      expect(r.headers.location).toMatch(/^\/login\?next=%2Fadmin/);
      expect(r.headers['cache-control']).toBe('private, no-store');
    }
    for (const path of ['/%72eport', '/%6cogin', '/%73ubscribe']) {
      const r = await rawRequest(site.base, 'GET', path);
      expect([path, r.status]).toEqual([path, 200]);
      // A per-visitor page with its form token, never a public cacheable copy.
      expect(r.headers['cache-control']).toBe('private, no-store');
      expect(r.headers.xkey).toBeUndefined();
      expect(r.text).toContain('name="_csrf"');
    }
    const confirm = await rawRequest(site.base, 'GET', '/%63onfirm/x');
    expect(confirm.status).toBeLessThan(500);
    expect(confirm.headers['cache-control']).toBe('private, no-store');
  });

  it('keeps an idle connection longer than a proxy in front keeps its own (65 s), so a POST never meets a closing one', async () => {
    // Clients and proxies act on this hint; Node's default (5 s) is far below the 60 s Varnish,
    // nginx and load balancers keep a backend connection, and a request sent down a connection
    // Herald is closing gets a reset.
    for (const path of ['/', '/api/v2/summary.json', '/login']) {
      const res = await rawRequest(site.base, 'GET', path);
      expect(res.headers['keep-alive'], path).toBe('timeout=65');
    }
  });

  it('a path with a broken encoding is a 400 logged at debug, not an error line', async () => {
    let statuses: number[] = [];
    const lines = await consoleLines(async () => {
      for (const path of ['/%zz', '/%E2%98', '/a%00b', '/api/v2/%zz'])
        statuses.push((await rawRequest(site.base, 'GET', path)).status);
    });
    expect(statuses).toEqual([400, 400, 400, 400]);
    expect(lines.filter((l) => l.startsWith('bad request path'))).toHaveLength(4);
    expect(lines.filter((l) => /error|ERR_/i.test(l))).toEqual([]);
    const api = await rawRequest(site.base, 'GET', '/api/v2/%zz');
    expect(JSON.parse(api.text).error.code).toBe('bad_request');
  });

  it('HEAD answers like GET without a body and writes no error, cache hit or miss, public or per-visitor', async () => {
    const lines = await consoleLines(async () => {
      for (const path of ['/', '/?fresh=1', '/?fresh=2', '/login', '/report', '/nope', '/admin']) {
        const get = await rawRequest(site.base, 'GET', path);
        const head = await rawRequest(site.base, 'HEAD', path);
        const head2 = await rawRequest(
          site.base,
          'HEAD',
          `${path}${path.includes('?') ? '&' : '?'}q=${Math.random()}`,
        );
        expect([path, head.status]).toEqual([path, get.status]);
        expect([path, head2.status]).toEqual([path, get.status]);
        expect(head.text).toBe('');
        expect(head.headers['content-type']).toBe(get.headers['content-type']);
      }
    });
    expect(lines.filter((l) => /ERR_HTTP_HEADERS_SENT|error/i.test(l))).toEqual([]);
  });

  it('a 404 carries a short edge lifetime, the Vary and surrogate keys of its page; encoded forms of per-visitor pages are never public', async () => {
    for (const path of ['/nope', '/incidents/nope', '/%73etup', '/admin%20']) {
      const r = await rawRequest(site.base, 'GET', path);
      expect([path, r.status]).toEqual([path, 404]);
      expect(r.headers['cache-control']).not.toMatch(/s-maxage=86400/);
    }
    // /%73etup is /setup: per-visitor, so private; `/admin ` is no admin page, a public 404.
    const setup = await rawRequest(site.base, 'GET', '/%73etup');
    expect([setup.headers['cache-control'], setup.headers.xkey]).toEqual([
      'private, no-store',
      undefined,
    ]);
    const nope = await rawRequest(site.base, 'GET', '/nope');
    expect(nope.headers['cache-control']).toBe('public, max-age=0, s-maxage=60');
    expect(nope.headers.vary).toBe('Accept-Encoding, Accept-Language, Cookie');
    // A purge of what a write touched drops the 404 too (an incident made public shows at once).
    expect((await rawRequest(site.base, 'GET', '/incidents/nope')).headers.xkey).toContain(
      'incident:nope',
    );
    // Positive control: a known public page keeps the day and its keys.
    const home = await rawRequest(site.base, 'GET', '/');
    expect(home.headers['cache-control']).toMatch(/s-maxage=86400/);
    expect(home.headers.xkey).toContain('herald');
  });
});
