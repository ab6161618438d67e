import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setComponentStatus } from '../../server/domain/components/set-component-status.ts';
import { changeRoutes } from '../../server/routes/changes.ts';
import { createTestContext, testActor, type TestContext } from '../helpers/deps.ts';
import { makeComponent } from '../helpers/factories.ts';
import { type ServerContext, startTestServer } from '../helpers/server.ts';

/** Reads the first Server-Sent Event of a stream, then the next `change` event on demand. */
function events(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  return {
    async next(): Promise<string> {
      for (;;) {
        const m = /event: change\ndata: (\d+)[^]*?\n\n/.exec(buf);
        if (m) {
          buf = buf.slice(m.index + m[0].length);
          return m[1]!;
        }
        const { value, done } = await reader.read();
        if (done) return 'ended';
        buf += decoder.decode(value, { stream: true });
      }
    },
    async ended(): Promise<boolean> {
      for (;;) if ((await reader.read()).done) return true;
    },
    cancel: () => reader.cancel(),
  };
}

describe('live-update streams are shared fairly between clients', () => {
  let s: ServerContext;
  beforeAll(async () => {
    s = await startTestServer({ env: { TRUST_PROXY: 'true' } });
  });
  afterAll(() => s.close());

  const open = (client: string) =>
    fetch(`${s.url}/api/changes`, { headers: { 'x-forwarded-for': client } });

  it('one client holding its cap leaves the page’s live updates working for others', async () => {
    const held: Awaited<ReturnType<typeof open>>[] = [];
    for (;;) {
      const r = await open('203.0.113.7');
      if (r.status !== 200) {
        expect(r.status).toBe(429);
        expect(r.headers.get('retry-after')).toBe('60');
        expect((await r.json()).error.code).toBe('rate_limited');
        break;
      }
      held.push(r);
      expect(held.length).toBeLessThan(50);
    }
    expect(held.length).toBe(6);
    // The same client behind another proxy hop is still the same client (right-most entry).
    expect((await open('198.51.100.1, 203.0.113.7')).status).toBe(429);

    const other = await open('198.51.100.20');
    expect(other.status).toBe(200);
    const stream = events(other.body!);
    const first = Number(await stream.next());
    const component = await makeComponent(s.deps, { name: 'Checkout' });
    await setComponentStatus(
      s.deps,
      { componentId: component.id, status: 'major_outage' },
      testActor,
    );
    expect(Number(await stream.next())).toBeGreaterThan(first);
    await stream.cancel();

    // Closing one of the held streams gives that client a place again.
    await held.pop()!.body!.cancel();
    let again: Response | null = null;
    // The server learns of the close when the socket ends: ask until the place is back.
    for (let i = 0; i < 200 && again?.status !== 200; i++) {
      again = await open('203.0.113.7');
      if (again.status !== 200) await again.body?.cancel();
      else held.push(again);
    }
    expect(again?.status).toBe(200);
    for (const r of held) await r.body!.cancel();
  });
});

describe('the change-stream caps', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({ env: { TRUST_PROXY: 'true' } });
  });
  afterAll(() => t.close());

  it('keeps a share of places for clients holding no stream yet, and ends streams at their age limit', async () => {
    const app = new Hono().route(
      '/api',
      changeRoutes(t.deps, {
        maxClients: 5,
        maxPerClient: 3,
        reservedShare: 0.4,
        maxStreamMs: 60 * 60_000,
      }),
    );
    const open = (client: string) =>
      app.request('/api/changes', { headers: { 'x-forwarded-for': client } });
    const a = [await open('a'), await open('a'), await open('a')];
    expect(a.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await open('a')).status).toBe(429);
    // Three of five are taken and two are kept for new clients: c gets its first, not a second.
    const c = await open('c');
    expect(c.status).toBe(200);
    expect((await open('c')).status).toBe(503);
    const d = await open('d');
    expect(d.status).toBe(200);
    const full = await open('e');
    expect(full.status).toBe(503);
    expect((await full.json()).error.code).toBe('unavailable');
    for (const r of [...a, c, d]) await r.body!.cancel();

    const short = new Hono().route(
      '/api',
      changeRoutes(t.deps, { maxClients: 5, maxPerClient: 1, maxStreamMs: 50 }),
    );
    const first = await short.request('/api/changes', { headers: { 'x-forwarded-for': 'f' } });
    expect(first.status).toBe(200);
    const stream = events(first.body!);
    expect(await stream.next()).toMatch(/^\d+$/);
    // The stream ends by itself (the page's EventSource reconnects) and its place comes back.
    expect(await stream.ended()).toBe(true);
    const next = await short.request('/api/changes', { headers: { 'x-forwarded-for': 'f' } });
    expect(next.status).toBe(200);
    await next.body!.cancel();
  });
});
