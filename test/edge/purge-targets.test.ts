import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { edgeNotice } from '../../server/edge/edge-notice.ts';
import { createEdgePurgeLoop } from '../../server/jobs/edge-purger.ts';
import { createTestContext, type TestContext } from '../helpers/deps.ts';
import { makeIncident } from '../helpers/factories.ts';
import { freePort } from './edge-harness.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP receiver standing in for an edge's purge endpoint; `answer` sets its status. */
async function receiver() {
  const seen: Seen[] = [];
  let status = 200;
  let first!: () => void;
  const firstSeen = new Promise<void>((r) => (first = r));
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      first();
      res.writeHead(status, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    seen,
    /** Settles when the first purge has arrived. */
    firstSeen,
    port,
    answer(s: number) {
      status = s;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('EDGE_PURGE_URLS', () => {
  it('refuses to start on a purge target that is not a URL, naming the entry', () => {
    expect(() => loadConfig({ EDGE_PURGE_URLS: 'varnish.local:6081' })).toThrow(ConfigError);
    try {
      loadConfig({ EDGE_PURGE_URLS: 'http://127.0.0.1:6081/, not a url' });
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).toMatch(/EDGE_PURGE_URLS entry "not"/);
    }
    expect(() => loadConfig({ EDGE_PURGE_URLS: 'ftp://edge.example.com/' })).toThrow(
      /must be an http\(s\) URL/,
    );
    expect(() =>
      loadConfig({ EDGE_PURGE_URLS: 'https://api.fastly.com/service/abc/purge' }),
    ).toThrow(/FASTLY_API_TOKEN/);
    expect(() => loadConfig({ EDGE_PURGE_URLS: 'https://user:secret@edge.example.com/' })).toThrow(
      /must not carry credentials/,
    );
  });

  it('recognises Varnish, Fastly and Cloudflare targets', () => {
    const c = loadConfig({
      EDGE_PURGE_URLS:
        'http://127.0.0.1:6081/, https://api.fastly.com/service/SU1Z0isxPaozGVKXdv0eY/purge https://api.cloudflare.com/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache',
      FASTLY_API_TOKEN: 'fastly-token-123',
      CLOUDFLARE_API_TOKEN: 'cf-token-12345',
    });
    expect(c.edgePurgeTargets.map((t) => t.kind)).toEqual(['varnish', 'fastly', 'cloudflare']);
  });
});

describe('purging edges after a write', () => {
  let varnish: Awaited<ReturnType<typeof receiver>>;
  let fastly: Awaited<ReturnType<typeof receiver>>;
  let cloudflare: Awaited<ReturnType<typeof receiver>>;
  let t: TestContext;

  beforeAll(async () => {
    [varnish, fastly, cloudflare] = await Promise.all([receiver(), receiver(), receiver()]);
    t = await createTestContext({
      env: {
        EDGE_PURGE_URLS: [
          `http://127.0.0.1:${varnish.port}/`,
          `fastly+http://127.0.0.1:${fastly.port}/service/svc123/purge`,
          `cloudflare+http://127.0.0.1:${cloudflare.port}/client/v4/zones/zone42/purge_cache`,
        ].join(','),
        FASTLY_API_TOKEN: 'fastly-token-123',
        CLOUDFLARE_API_TOKEN: 'cf-token-12345',
        EDGE_PURGE_TIMEOUT_MS: '300',
      },
    });
  });
  afterAll(async () => {
    await Promise.all([varnish.close(), fastly.close(), cloudflare.close()]);
    await t.close();
  });

  it('sends each edge its own purge format once per settle, and nothing stays queued', async () => {
    await makeIncident(t.deps, { title: 'Search is slow' });
    await makeIncident(t.deps, { title: 'Search is down' });
    await t.deps.edge.settle();
    expect(varnish.seen).toHaveLength(1);
    expect(varnish.seen[0]).toMatchObject({ method: 'PURGE', url: '/' });
    expect(varnish.seen[0]!.headers['xkey-purge']).toBe('herald');
    expect(fastly.seen).toHaveLength(1);
    expect(fastly.seen[0]).toMatchObject({ method: 'POST', url: '/service/svc123/purge' });
    expect(fastly.seen[0]!.headers['fastly-key']).toBe('fastly-token-123');
    expect(fastly.seen[0]!.headers['surrogate-key']).toBe('herald');
    expect(cloudflare.seen[0]).toMatchObject({
      method: 'POST',
      url: '/client/v4/zones/zone42/purge_cache',
    });
    expect(cloudflare.seen[0]!.headers.authorization).toBe('Bearer cf-token-12345');
    expect(JSON.parse(cloudflare.seen[0]!.body)).toEqual({ tags: ['herald'] });
    expect(await t.deps.edge.status()).toMatchObject({ pending: 0, rejected: [] });
    expect(edgeNotice(await t.deps.edge.status(), t.clock.now())).toBeNull();
  });

  it('reports an edge that refuses purges (4xx) in the admin and does not retry it', async () => {
    fastly.answer(403);
    const before = fastly.seen.length;
    await makeIncident(t.deps, { title: 'Login fails' });
    await t.deps.edge.settle();
    expect(fastly.seen.length).toBe(before + 1);
    const status = await t.deps.edge.status();
    expect(status.pending).toBe(0);
    expect(status.rejected[0]!.error).toMatch(/fastly .* answered 403/);
    const notice = edgeNotice(status, t.clock.now())!;
    expect(notice).toMatch(/^Edge is behind: /);
    expect(notice).not.toContain('fastly-token-123');
    // Not retried: the retry pass finds nothing to send, however late.
    t.clock.advance(60 * 60_000);
    expect(await t.deps.edge.retryDue()).toBe(0);
    expect(fastly.seen.length).toBe(before + 1);
    // The next purge the edge takes clears the report.
    fastly.answer(200);
    await makeIncident(t.deps, { title: 'Login works again' });
    await t.deps.edge.settle();
    expect(edgeNotice(await t.deps.edge.status(), t.clock.now())).toBeNull();
  });

  it('queues a purge an edge failed to take (5xx) and retries it with backoff until it does', async () => {
    varnish.answer(503);
    await makeIncident(t.deps, { title: 'Varnish is restarting' });
    await t.deps.edge.settle();
    const behind = await t.deps.edge.status();
    expect(behind.pending).toBe(1);
    expect(edgeNotice(behind, t.clock.now())).toMatch(/1 change is not yet purged/);
    const sent = varnish.seen.length;
    // Before the backoff ran out nothing is resent; Fastly and Cloudflare are not asked again.
    expect(await t.deps.edge.retryDue()).toBe(0);
    const fastlySeen = fastly.seen.length;
    varnish.answer(200);
    t.clock.advance(5_000);
    expect(await t.deps.edge.retryDue()).toBe(1);
    expect(varnish.seen.length).toBe(sent + 1);
    expect(fastly.seen.length).toBe(fastlySeen);
    expect((await t.deps.edge.status()).pending).toBe(0);
  });
});

describe('background writes', () => {
  it('are purged by the loop within a pass, with no request to send them', async () => {
    const edge = await receiver();
    const t = await createTestContext({
      env: { EDGE_PURGE_URLS: `http://127.0.0.1:${edge.port}/` },
    });
    try {
      // As the scheduler writes: a domain verb, no HTTP request around it.
      await makeIncident(t.deps, { title: 'Published on schedule' });
      const loop = createEdgePurgeLoop(t.deps.edge, t.deps.log, { intervalMs: 20 });
      loop.start();
      await edge.firstSeen;
      await loop.stop();
      expect(edge.seen.map((s) => s.headers['xkey-purge'])).toEqual(['herald']);
    } finally {
      await edge.close();
      await t.close();
    }
  });
});

describe('an unreachable edge', () => {
  it('never fails or holds up a write; the purge waits in the database and reaches the edge once it is up', async () => {
    const port = await freePort();
    const t = await createTestContext({
      env: { EDGE_PURGE_URLS: `http://127.0.0.1:${port}/`, EDGE_PURGE_TIMEOUT_MS: '300' },
    });
    try {
      // An edge that takes the purge and never answers: the write settles while the edge still
      // holds the request, so it waited for the timeout, not for the edge.
      let unanswered = 0;
      const silent = http.createServer(() => void unanswered++);
      await new Promise<void>((r) => silent.listen(port, '127.0.0.1', r));
      await makeIncident(t.deps, { title: 'Edge down' });
      await t.deps.edge.settle();
      expect(unanswered).toBe(1);
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
      expect((await t.deps.edge.status()).pending).toBe(1);
      // More writes while it is down coalesce into the purge already waiting.
      await makeIncident(t.deps, { title: 'Still down' });
      await t.deps.edge.settle();
      expect((await t.deps.edge.status()).pending).toBe(1);
      const seen: string[] = [];
      const edge = http.createServer((req, res) => {
        seen.push(`${req.method} ${req.headers['xkey-purge']}`);
        res.end('ok');
      });
      await new Promise<void>((r) => edge.listen(port, '127.0.0.1', r));
      const loop = createEdgePurgeLoop(t.deps.edge, t.deps.log, { intervalMs: 20 });
      t.clock.advance(10 * 60_000);
      loop.start();
      await expect.poll(() => seen.length, { timeout: 30_000, interval: 20 }).toBeGreaterThan(0);
      await loop.stop();
      await new Promise<void>((r) => edge.close(() => r()));
      expect(seen).toEqual(['PURGE herald']);
      expect((await t.deps.edge.status()).pending).toBe(0);
    } finally {
      await t.close();
    }
  });
});
