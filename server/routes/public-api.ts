import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Deps } from '../deps.ts';
import { cachedResponse } from '../cache/cached.ts';

const JSON_TYPE = 'application/json; charset=utf-8';
// Stored with the cached body, because cache hits are answered before any middleware runs.
const corsHeaders = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'ETag' };

/** The Statuspage-compatible v2 API: same paths, same shapes, CORS `*`. */
export function publicApiRoutes(deps: Deps) {
  const app = new Hono();
  app.use(
    '*',
    cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'], exposeHeaders: ['ETag'] }),
  );
  const r = deps.reader;
  const endpoints: Record<string, () => Promise<unknown>> = {
    '/summary.json': () => r.summary(),
    '/status.json': () => r.status(),
    '/components.json': () => r.components(),
    '/incidents.json': () => r.incidents('recent'),
    '/incidents/unresolved.json': () => r.incidents('unresolved'),
    '/scheduled-maintenances.json': () => r.maintenances('recent'),
    '/scheduled-maintenances/upcoming.json': () => r.maintenances('upcoming'),
    '/scheduled-maintenances/active.json': () => r.maintenances('active'),
  };
  for (const [path, produce] of Object.entries(endpoints)) {
    app.get(path, (c) =>
      cachedResponse(c, deps, JSON_TYPE, async () => JSON.stringify(await produce()), corsHeaders),
    );
  }
  return app;
}
