import type { HttpBindings } from '@hono/node-server';
import { type Context, Hono, type Next } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { withRequestReads } from '../db/request-reads.ts';
import type { Deps } from './deps.ts';
import { errorBody, mapError } from './http/errors.ts';
import { refuseBodyOver } from './http/limits.ts';
import { DEFAULT_BODY_LIMIT } from './http/openapi.ts';
import { securityHeaders } from './http/security-headers.ts';
import { audienceForHost } from './http/audience-host.ts';
import { adminApiRoutes } from './routes/admin-api.ts';
import { feedRoutes } from './routes/feeds.ts';
import { audienceRoutes } from './routes/audiences.ts';
import { healthRoutes } from './routes/health.ts';
import { maintenancePublicRoutes } from './routes/maintenance-public.ts';
import { publicApiRoutes } from './routes/public-api.ts';
import { unsubscribeRoutes } from './routes/unsubscribe.ts';
import { uptimeRoutes } from './routes/uptime.ts';
import { embedRoutes } from './routes/embed.ts';
import { changeRoutes } from './routes/changes.ts';
import { statuspageV1Routes } from './routes/statuspage-v1/index.ts';
import { intakeRoutes } from './routes/intake.ts';
import { languageRoutes } from './routes/language.ts';
import { ssoRoutes } from './routes/sso.ts';

/**
 * The Hono app: API, feeds, form posts and health. No Astro and no listening socket, so API
 * tests use `app.request()` without a site build; `mountSite` adds the pages in main.ts.
 */
export function createApp(deps: Deps, opts: { deliveryDown?: () => string | null } = {}) {
  const app = new Hono<{ Bindings: Partial<HttpBindings> }>();
  app.onError(mapError(deps.log));
  const security = Object.entries(securityHeaders(deps.config.publicUrl));
  app.use('*', async (c, next) => {
    // Astro pages are written straight to Node's response: set them there too.
    const out = c.env?.outgoing;
    if (out && !out.headersSent) for (const [k, v] of security) out.setHeader(k, v);
    // Each request reads the settings (and the other rows a page asks for repeatedly) once.
    await withRequestReads(next);
    if (!c.res.headers.has('x-hono-already-sent'))
      for (const [k, v] of security) c.res.headers.set(k, v);
  });
  // On an audience's own host name nothing is for a shared cache, whatever the route said.
  if (deps.config.audienceHosts.size > 0)
    app.use('*', async (c, next) => {
      await next();
      if (audienceForHost(deps.config, c.req.header('host')) === null) return;
      if (c.res.headers.has('x-hono-already-sent')) return;
      c.res.headers.set('cache-control', 'private, no-store');
      for (const h of ['etag', 'xkey', 'surrogate-key', 'cache-tag', 'surrogate-control', 'vary'])
        c.res.headers.delete(h);
    });
  // The admin API sets a limit per operation (a CSV import is larger) and the intake its own (an
  // alert group); the rest of /api takes no body at all, so a small limit refuses anything big
  // before it is read.
  const apiLimit = refuseBodyOver(DEFAULT_BODY_LIMIT, 'The request body is too large.');
  app.use('/api/*', (c, next) =>
    c.req.path.startsWith('/api/admin/') || c.req.path.startsWith('/api/intake/')
      ? next()
      : apiLimit(c, next),
  );
  app.route('/', healthRoutes(deps, opts.deliveryDown));
  app.route('/api/v2', publicApiRoutes(deps));
  app.route('/api/admin', adminApiRoutes(deps));
  // Statuspage's management API, where its clients look for it: the base URL swap is the whole set-up.
  app.route('/v1', statuspageV1Routes(deps));
  app.route('/api/intake', intakeRoutes(deps));
  app.route('/', feedRoutes(deps));
  app.route('/', audienceRoutes(deps));
  app.route('/', maintenancePublicRoutes(deps));
  app.route('/', unsubscribeRoutes(deps));
  // The public API is read only: a write method on it is a 405, not a 404 or a page.
  const readOnly = (c: Context, next: Next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) return next();
    c.header('Allow', 'GET, HEAD, OPTIONS');
    throw new HTTPException(405, {
      message: `${c.req.method} is not allowed on ${c.req.path}; it is read only.`,
    });
  };
  app.all('/api/v2/*', readOnly);
  app.all('/api/maintenance', readOnly);
  app.route('/api', uptimeRoutes(deps));
  app.route('/', embedRoutes(deps));
  app.route('/', languageRoutes(deps));
  app.route('/', ssoRoutes(deps));
  app.route('/api', changeRoutes(deps));
  app.all('/api/*', (c) =>
    c.json(errorBody('not_found', `No API endpoint ${c.req.method} ${c.req.path}.`), 404),
  );
  return app;
}
