import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Deps } from '../deps.ts';
import { errorBody } from '../http/errors.ts';

export interface ChangeStreamOptions {
  /** How often the one shared poll reads the change counter while anyone listens. */
  pollMs?: number;
  /** Comment lines that keep proxies from closing an idle stream. */
  heartbeatMs?: number;
  /** Open streams at most; beyond it a 503 asks the client to retry later. */
  maxClients?: number;
}

/**
 * `GET /api/changes`: Server-Sent Events announcing the change counter. One poll per process
 * (not per client) reads the counter and tells every open stream when it moves, so a refresh
 * storm becomes one small event per change; pages then fetch themselves again (site/public/
 * live.js). The counter covers writes from other Herald processes too.
 */
export function changeRoutes(deps: Pick<Deps, 'reader' | 'log'>, opts: ChangeStreamOptions = {}) {
  const pollMs = opts.pollMs ?? 1000;
  const heartbeatMs = opts.heartbeatMs ?? 25_000;
  const maxClients = opts.maxClients ?? 2000;
  const listeners = new Set<(counter: number) => void>();
  let last = -1;
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
    if (listeners.size >= maxClients)
      return c.json(
        errorBody('unavailable', 'Too many open change streams; try again in a minute.'),
        503,
        { 'retry-after': '60' },
      );
    c.header('cache-control', 'no-store');
    c.header('x-accel-buffering', 'no');
    return streamSSE(c, async (stream) => {
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
      while (!stream.aborted) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, heartbeatMs);
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
        } else await stream.write(': keep-alive\n\n');
      }
      unsubscribe();
    });
  });
  return app;
}
