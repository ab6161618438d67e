import type { HttpBindings } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import type { Deps } from '../deps.ts';
import { clientAddress } from '../http/client-address.ts';
import { errorBody } from '../http/errors.ts';

export interface ChangeStreamOptions {
  /** How often the one shared poll reads the change counter while anyone listens. */
  pollMs?: number;
  /** Comment lines that keep proxies from closing an idle stream. */
  heartbeatMs?: number;
  /** Open streams at most; beyond it a 503 asks the client to retry later. */
  maxClients?: number;
  /** Open streams per client address (the sign-in throttling's address rule, TRUST_PROXY aware). */
  maxPerClient?: number;
  /**
   * The share of `maxClients` kept for clients holding no stream yet: past the rest, only a
   * client's first stream is let in, so a few busy clients cannot take every place.
   */
  reservedShare?: number;
  /**
   * A stream ends after this long and the page's EventSource opens a new one (after `retry`), so
   * a place held by a tab nobody looks at, or by a client that never reads, comes back.
   */
  maxStreamMs?: number;
}

/** What a refused stream is told: 429 for one client's cap, 503 when the process is full. */
function refuseStream(c: Context, status: 429 | 503, message: string) {
  return c.json(errorBody(status === 429 ? 'rate_limited' : 'unavailable', message), status, {
    'retry-after': '60',
    'cache-control': 'no-store',
  });
}

/**
 * `GET /api/changes`: Server-Sent Events announcing the change counter. One poll per process
 * (not per client) reads the counter and tells every open stream when it moves, so a refresh
 * storm becomes one small event per change; pages then fetch themselves again (site/public/
 * live.js). The counter covers writes from other Herald processes too.
 */
export function changeRoutes(
  deps: Pick<Deps, 'reader' | 'log' | 'config'>,
  opts: ChangeStreamOptions = {},
) {
  const pollMs = opts.pollMs ?? 1000;
  const heartbeatMs = opts.heartbeatMs ?? 25_000;
  const maxClients = opts.maxClients ?? 2000;
  const maxPerClient = opts.maxPerClient ?? 6;
  const reserved = Math.ceil(maxClients * (opts.reservedShare ?? 0.2));
  const maxStreamMs = opts.maxStreamMs ?? 15 * 60_000;
  /** Open streams per client address. */
  const perClient = new Map<string, number>();
  const listeners = new Set<(counter: number) => void>();
  let last = -1;
  /** Streams let in and not yet ended (counted before their first event is written). */
  let streams = 0;
  let timer: ReturnType<typeof setInterval> | null = null;

  async function poll() {
    try {
      const c = await deps.reader.changeCounter();
      if (c !== last) {
        last = c;
        for (const l of listeners) l(c);
      }
    } catch (err) {
      deps.log.debug('changes: counter read failed', { error: String(err) });
    }
  }
  function subscribe(l: (c: number) => void) {
    listeners.add(l);
    timer ??= setInterval(() => void poll(), pollMs);
    return () => {
      listeners.delete(l);
      if (listeners.size === 0 && timer) {
        clearInterval(timer);
        timer = null;
      }
    };
  }

  const app = new Hono();
  app.get('/changes', (c) => {
    // HEAD runs this GET route (see http/server.ts): answer the headers and end, rather than
    // hold a stream (and a client's place) whose events nobody will read.
    const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
    if (incoming?.method === 'HEAD' || c.req.method === 'HEAD')
      return c.body(null, 200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
      });
    const client = clientAddress(c, deps.config);
    const held = perClient.get(client) ?? 0;
    if (held >= maxPerClient)
      return refuseStream(
        c,
        429,
        `This address already holds ${maxPerClient} live-update streams; close a tab or try again in a minute.`,
      );
    if (streams >= maxClients || (held > 0 && streams >= maxClients - reserved))
      return refuseStream(c, 503, 'Too many open change streams; try again in a minute.');
    // Counted from here, not from the first event: a burst of requests cannot pass the checks
    // all at once before any of them is listening.
    perClient.set(client, held + 1);
    streams++;
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      streams--;
      const n = (perClient.get(client) ?? 1) - 1;
      if (n <= 0) perClient.delete(client);
      else perClient.set(client, n);
    };
    c.header('cache-control', 'no-store');
    c.header('x-accel-buffering', 'no');
    return streamSSE(c, async (stream) => {
      const endsAt = Date.now() + maxStreamMs;
      stream.onAbort(release);
      try {
        await serve(stream, endsAt);
      } finally {
        release();
      }
    });
  });

  async function serve(stream: SSEStreamingApi, endsAt: number) {
    let current = await deps.reader.changeCounter();
    last = Math.max(last, current);
    await stream.writeSSE({ event: 'change', data: String(current), retry: 5000 });
    let wake: (() => void) | null = null;
    const unsubscribe = subscribe((n) => {
      current = n;
      wake?.();
    });
    stream.onAbort(() => {
      unsubscribe();
      wake?.();
    });
    let sent = current;
    while (!stream.aborted && Date.now() < endsAt) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, Math.min(heartbeatMs, endsAt - Date.now())));
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      wake = null;
      if (stream.aborted) break;
      if (current !== sent) {
        sent = current;
        await stream.writeSSE({ event: 'change', data: String(current) });
      } else if (Date.now() < endsAt) await stream.write(': keep-alive\n\n');
    }
    unsubscribe();
  }
  return app;
}
