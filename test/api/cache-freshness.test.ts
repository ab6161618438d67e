import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { createDeps, type Deps } from '../../server/deps.ts';
import { makeComponent, makeIncident } from '../helpers/factories.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';
import { rawGet } from '../edge/edge-harness.ts';

describe('cached responses stay fresh across processes sharing one database', () => {
  let s: ServerContext;
  let other: Deps;

  beforeAll(async () => {
    s = await startTestServer();
    await makeComponent(s.deps, { name: 'API' });
    // A second Herald "process": its own connections and caches on the same database file.
    other = await createDeps(
      loadConfig({
        DATABASE_URL: s.dbUrl,
        LOG_LEVEL: 'silent',
        PUBLIC_URL: 'https://status.example.com',
      }),
      { clock: s.clock },
    );
  });
  afterAll(async () => {
    await other.close();
    await s.close();
  });

  it('shows an incident declared through another process on the very next request', async () => {
    const paths = ['/', '/api/v2/summary.json', '/history.rss'];
    const etags = new Map<string, string>();
    for (const p of paths) {
      const res = await fetch(s.url + p);
      expect(res.status, p).toBe(200);
      etags.set(p, res.headers.get('etag')!);
      const again = await fetch(s.url + p, { headers: { 'if-none-match': etags.get(p)! } });
      expect(again.status, p).toBe(304);
    }
    await makeIncident(other, { title: 'Declared elsewhere', priority: 1 });
    for (const p of paths) {
      const res = await fetch(s.url + p, { headers: { 'if-none-match': etags.get(p)! } });
      expect(res.status, p).toBe(200);
      expect(await res.text(), p).toContain('Declared elsewhere');
    }
  });

  it('answers HEAD from the cache with headers and no body', async () => {
    await fetch(s.url + '/api/v2/status.json');
    const res = await fetch(s.url + '/api/v2/status.json', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(50);
    expect(await res.text()).toBe('');
  });
});

describe('compressed and edge-cacheable public bodies', () => {
  let s: ServerContext;

  beforeAll(async () => {
    s = await startTestServer();
    const c = await makeComponent(s.deps, { name: 'API' });
    await makeIncident(s.deps, {
      title: 'Slow searches',
      priority: 2,
      components: [{ componentId: c.id, status: 'degraded_performance' }],
    });
  });
  afterAll(() => s.close());

  const paths = ['/', '/history', '/api/v2/summary.json', '/history.rss', '/maintenance.ics'];

  it('answers brotli or gzip as Accept-Encoding asks, the same bytes once decoded, with Vary', async () => {
    for (const p of paths.filter((x) => x !== '/maintenance.ics')) {
      const plain = await rawGet(s.url + p);
      expect(plain.status, p).toBe(200);
      expect(plain.headers['content-encoding'], p).toBeUndefined();
      // Pages speak their reader's language; feeds and the API only change with their URL.
      expect(plain.headers.vary, p).toBe(
        p.startsWith('/api/') || p.endsWith('.rss')
          ? 'Accept-Encoding'
          : 'Accept-Encoding, Accept-Language, Cookie',
      );
      const br = await rawGet(s.url + p, { 'accept-encoding': 'gzip, deflate, br, zstd' });
      expect(br.headers['content-encoding'], p).toBe('br');
      expect(brotliDecompressSync(br.body).equals(plain.body), p).toBe(true);
      expect(br.body.length, p).toBeLessThan(plain.body.length);
      const gz = await rawGet(s.url + p, { 'accept-encoding': 'br;q=0.5, gzip' });
      expect(gz.headers['content-encoding'], p).toBe('gzip');
      expect(gunzipSync(gz.body).equals(plain.body), p).toBe(true);
      expect(Number(gz.headers['content-length']), p).toBe(gz.body.length);
      const none = await rawGet(s.url + p, { 'accept-encoding': 'br;q=0, gzip;q=0' });
      expect(none.headers['content-encoding'], p).toBeUndefined();
      // Each representation has its own ETag, and a 304 only for its own.
      const tags = new Set([plain.headers.etag, br.headers.etag, gz.headers.etag]);
      expect(tags.size, p).toBe(3);
      const again = await rawGet(s.url + p, {
        'accept-encoding': 'gzip',
        'if-none-match': gz.headers.etag!,
      });
      expect(again.status, p).toBe(304);
      const other = await rawGet(s.url + p, {
        'accept-encoding': 'br',
        'if-none-match': gz.headers.etag!,
      });
      expect(other.status, p).toBe(200);
    }
  });

  it('sends a body too small to gain from compression as it is, still with Vary', async () => {
    const res = await rawGet(s.url + '/maintenance.ics', { 'accept-encoding': 'br, gzip' });
    expect(res.body.length).toBeLessThan(512);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers.vary).toBe('Accept-Encoding');
  });

  it('compresses once per change: later requests get the very bytes held in the cache', async () => {
    const first = await rawGet(s.url + '/', { 'accept-encoding': 'br' });
    const counter = await s.deps.reader.changeCounter();
    const held = s.deps.cache.get(counter, '/')!.variants!.br!;
    const second = await rawGet(s.url + '/', { 'accept-encoding': 'br' });
    expect(s.deps.cache.get(counter, '/')!.variants!.br).toBe(held);
    expect(second.body.equals(held.body)).toBe(true);
    expect(first.body.equals(held.body)).toBe(true);
  });

  it('tells a shared cache to ask every time when no edge is purged, and sends no keys', async () => {
    for (const p of paths) {
      const res = await rawGet(s.url + p);
      // Nothing could tell an edge about a change: a long s-maxage would keep it stale.
      expect(res.headers['cache-control'], p).toBe(
        'public, max-age=0, s-maxage=0, stale-if-error=86400',
      );
      for (const h of ['xkey', 'surrogate-key', 'cache-tag', 'surrogate-control'])
        expect(res.headers[h], `${p} ${h}`).toBeUndefined();
    }
  });

  it('marks public bodies for each purged edge in its own spelling, with keys made of ids only', async () => {
    const edged = await startTestServer({
      env: {
        // Never reached: this test only reads.
        EDGE_PURGE_URLS:
          'varnish+http://127.0.0.1:9/ fastly+http://127.0.0.1:9/service/x/purge cloudflare+http://127.0.0.1:9/zones/x/purge_cache',
        FASTLY_API_TOKEN: 'never-used-here',
        CLOUDFLARE_API_TOKEN: 'never-used-here',
      },
    });
    try {
      const { incident } = await makeIncident(edged.deps, { title: 'Keyed', priority: 1 });
      for (const p of [...paths, `/incidents/${incident.id}`]) {
        const res = await rawGet(edged.url + p);
        // stale-while-revalidate only where browsers do not look: they must never show the
        // page from before a write.
        expect(res.headers['cache-control'], p).toBe(
          'public, max-age=0, s-maxage=86400, stale-if-error=86400',
        );
        expect(res.headers['surrogate-control'], p).toBe(
          'max-age=86400, stale-while-revalidate=10, stale-if-error=86400',
        );
        expect(res.headers['cdn-cache-control'], p).toBe(res.headers['surrogate-control']);
        expect(res.headers.xkey, p).toContain('herald');
        expect(res.headers['surrogate-key'], p).toBe(res.headers.xkey);
        expect(res.headers['cache-tag'], p).toBe(String(res.headers.xkey).replaceAll(' ', ','));
      }
      const page = await rawGet(`${edged.url}/incidents/${incident.id}`);
      expect(page.headers.xkey).toContain(`incident:${incident.id}`);
      const odd = await rawGet(`${edged.url}/incidents/%3Cscript%3E?x=%0d%0a`);
      expect(String(odd.headers.xkey)).not.toMatch(/script|incident:/);
    } finally {
      await edged.close();
    }
  });

  it('sends only the headers of the edges it purges', async () => {
    const varnishOnly = await startTestServer({
      env: { EDGE_PURGE_URLS: 'http://127.0.0.1:9/' },
    });
    try {
      const res = await rawGet(varnishOnly.url + '/');
      expect(res.headers.xkey).toContain('page');
      expect(res.headers['cache-control']).toContain('s-maxage=86400');
      for (const h of ['surrogate-key', 'cache-tag', 'surrogate-control', 'cdn-cache-control'])
        expect(res.headers[h], h).toBeUndefined();
    } finally {
      await varnishOnly.close();
    }
  });

  it('keeps admin and per-visitor pages private and out of every cache', async () => {
    for (const p of ['/admin', '/login', '/subscribe']) {
      const res = await rawGet(s.url + p);
      expect(res.headers['cache-control'], p).toBe('private, no-store');
      expect(res.headers.xkey, p).toBeUndefined();
    }
  });
});
