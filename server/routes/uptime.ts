import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Deps } from '../deps.ts';
import { cachedResponse } from '../cache/cached.ts';
import { errorBody } from '../http/errors.ts';
import { MAX_UPTIME_DAYS } from '../domain/uptime/read-uptime.ts';
import { createUptimeReader } from '../domain/uptime/uptime-reader.ts';

const JSON_TYPE = 'application/json; charset=utf-8';
const corsHeaders = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'ETag' };

/** `days`: absent means 90; otherwise a plain integer 1-90 ("07", "1.0", "9e1" are refused). */
export function parseDays(raw: string | undefined): number | null {
  if (raw === undefined) return MAX_UPTIME_DAYS;
  if (!/^[1-9][0-9]?$/.test(raw)) return null;
  const n = Number(raw);
  return n <= MAX_UPTIME_DAYS ? n : null;
}

/** `GET /api/uptime.json?days=N`: the home page's bars as numbers, CORS `*`, change-cached. */
export function uptimeRoutes(deps: Deps) {
  const app = new Hono();
  const uptime = createUptimeReader(
    deps.db,
    () => deps.clock.now(),
    async () => (await deps.reader.page()).time_zone,
  );
  app.use('/uptime.json', cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'] }));
  app.get('/uptime.json', async (c) => {
    const params = new URL(c.req.url).searchParams;
    const unknown = [...params.keys()].filter((k) => k !== 'days');
    const all = params.getAll('days');
    const days = all.length > 1 ? null : parseDays(all[0]);
    if (days === null || unknown.length > 0)
      return c.json(
        errorBody(
          'invalid_query',
          unknown.length > 0
            ? `Unknown query parameter ${unknown[0]}; only days is accepted.`
            : 'days must be a whole number from 1 to 90.',
        ),
        400,
        corsHeaders,
      );
    return cachedResponse(
      c,
      deps,
      JSON_TYPE,
      async () => {
        const rows = await uptime.daily(days);
        return JSON.stringify({
          days,
          components: rows.map((u) => ({
            id: u.id,
            name: u.name,
            group: u.group,
            group_id: u.group_id,
            uptime_percent: u.uptime_percent,
            days: u.days.map((d) => ({
              date: d.date,
              uptime_percent: d.uptime_percent,
              minutes: d.minutes,
              incidents: d.causes,
            })),
          })),
        });
      },
      corsHeaders,
    );
  });
  return app;
}
