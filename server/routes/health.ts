import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import type { Deps } from '../deps.ts';
import { oldestDueWaitMs } from '../domain/broadcasts/outbox-store.ts';
import { databaseFault } from '../domain/shared/database-busy.ts';
import { probeWrite, writeWaitReason } from '../domain/settings/probe-write.ts';

/** How long one write probe's answer is reused: a load balancer polling often costs nothing. */
const PROBE_CACHE_MS = 1500;
/** A probe that has not answered by then counts as refused (it may still land later). */
const PROBE_WAIT_MS = 1500;

type Probe = { ok: true } | { ok: false; reason: string };

/**
 * Below this much free space on the database's disk, writes are about to fail. The write probe
 * alone cannot tell: it rewrites one small row, which fits in WAL frames the file already has
 * while a publish or a broadcast's outcome writes, which must grow the WAL, are refused.
 */
export const MIN_FREE_DISK_BYTES = 1 << 20;

/** Free bytes on the disk holding an embedded database file; null for a database server. */
async function freeDiskBytes(databaseUrl: string): Promise<number | null> {
  if (!databaseUrl.startsWith('file:')) return null;
  const file = databaseUrl.slice('file:'.length).split('?')[0]!;
  try {
    const s = await statfs(path.dirname(path.resolve(file)));
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/**
 * Health that means something: 200 only when the database answers, accepts a write, the
 * delivery process runs (when this server supervises one: `deliveryDown` says why not) and no due
 * email has waited longer than HEALTH_MAX_QUEUE_DELAY_SECONDS. The body says which check failed.
 */
export function healthRoutes(deps: Deps, deliveryDown: () => string | null = () => null) {
  const app = new Hono();
  let cached: { at: number; probe: Promise<Probe> } | null = null;

  function writeProbe(): Promise<Probe> {
    const now = Date.now();
    if (cached && now - cached.at < PROBE_CACHE_MS) return cached.probe;
    const attempt = probeWrite(deps.db, deps.clock.now()).then(
      async (): Promise<Probe> => {
        const free = await freeDiskBytes(deps.config.databaseUrl);
        return free !== null && free < MIN_FREE_DISK_BYTES
          ? {
              ok: false,
              reason: `the database disk is full (${Math.floor(free / 1024)} KB free): free disk space on the Herald server`,
            }
          : { ok: true };
      },
      (err): Probe => {
        const fault = databaseFault(err);
        return {
          ok: false,
          reason:
            fault === 'full'
              ? 'the database disk is full'
              : fault === 'readonly'
                ? 'the database file is read-only'
                : fault === 'busy'
                  ? 'another process holds the write lock'
                  : `a write failed: ${String(err instanceof Error ? err.message : err).slice(0, 200)}`,
        };
      },
    );
    // A probe still waiting names what it waits for (a full disk is not a busy lock).
    const timeout = new Promise<Probe>((resolve) =>
      setTimeout(() => {
        const why = writeWaitReason(deps.db);
        resolve({
          ok: false,
          reason: `a write has waited more than ${PROBE_WAIT_MS} ms for the database${why ? `, ${why}` : ''}`,
        });
      }, PROBE_WAIT_MS).unref(),
    );
    const probe = Promise.race([attempt, timeout]);
    cached = { at: now, probe };
    return probe;
  }

  app.get('/healthz', async (c) => {
    c.header('cache-control', 'no-store');
    const now = deps.clock.now();
    try {
      await deps.handle.client.execute('select 1');
    } catch (err) {
      deps.log.error('health check: database did not answer', { error: String(err) });
      return c.json(
        {
          status: 'error',
          database: 'unavailable',
          error: { code: 'database_unavailable', message: 'The database did not answer.' },
        },
        503,
      );
    }
    const [probe, waitedMs] = await Promise.all([
      writeProbe(),
      oldestDueWaitMs(deps.db, now).catch(() => 0),
    ]);
    const limitMs = deps.config.healthMaxQueueDelayMs;
    const outbox = {
      oldestDueWaitSeconds: Math.round(waitedMs / 1000),
      limitSeconds: Math.round(limitMs / 1000),
    };
    const problems: { code: string; message: string }[] = [];
    if (!probe.ok)
      problems.push({
        code: 'database_refuses_writes',
        message: `The database refuses writes: ${probe.reason}.`,
      });
    const down = deliveryDown();
    if (down)
      problems.push({
        code: 'delivery_down',
        message: `Nothing is being sent: ${down}. The server log says why it stopped.`,
      });
    if (waitedMs > limitMs)
      problems.push({
        code: 'outbox_stalled',
        message: `The oldest due email has waited ${outbox.oldestDueWaitSeconds} s (limit ${outbox.limitSeconds} s, HEALTH_MAX_QUEUE_DELAY_SECONDS): see the broadcast admin page for why.`,
      });
    const body = {
      status: problems.length ? 'error' : 'ok',
      database: probe.ok ? 'ok' : 'refuses writes',
      delivery: down ? 'down' : 'ok',
      outbox: { ...outbox, status: waitedMs > limitMs ? 'stalled' : 'ok' },
      time: now.toISOString(),
      ...(problems.length ? { error: problems[0], problems } : {}),
    };
    return c.json(body, problems.length ? 503 : 200);
  });
  return app;
}
