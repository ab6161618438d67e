import { Hono } from 'hono';
import type { Deps } from './deps.ts';
import { errorBody, mapError } from './http/errors.ts';
import { adminApiRoutes } from './routes/admin-api.ts';
import { feedRoutes } from './routes/feeds.ts';
import { healthRoutes } from './routes/health.ts';
import { maintenancePublicRoutes } from './routes/maintenance-public.ts';
import { publicApiRoutes } from './routes/public-api.ts';
import { unsubscribeRoutes } from './routes/unsubscribe.ts';
import { uptimeRoutes } from './routes/uptime.ts';
import { embedRoutes } from './routes/embed.ts';
import { changeRoutes } from './routes/changes.ts';

/**
 * The Hono app: API, feeds, form posts and health. No Astro and no listening socket, so API
 * tests use `app.request()` without a site build; `mountSite` adds the pages in main.ts.
 */
export function createApp(deps: Deps) {
  const app = new Hono();
  app.onError(mapError(deps.log));
  app.route('/', healthRoutes(deps));
  app.route('/api/v2', publicApiRoutes(deps));
  app.route('/api/admin', adminApiRoutes(deps));
  app.route('/', feedRoutes(deps));
  app.route('/', maintenancePublicRoutes(deps));
  app.route('/', unsubscribeRoutes(deps));
  app.route('/api', uptimeRoutes(deps));
  app.route('/', embedRoutes(deps));
  app.route('/api', changeRoutes(deps));
  app.all('/api/*', (c) =>
    c.json(errorBody('not_found', `No API endpoint ${c.req.method} ${c.req.path}.`), 404),
  );
  return app;
}
