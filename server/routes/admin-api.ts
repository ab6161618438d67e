import { Hono } from 'hono';
import type { Deps } from '../deps.ts';
import { apiAuth, type AuthEnv } from '../http/auth.ts';

/** The admin JSON API under /api/admin: bearer tokens (or a session plus X-CSRF-Token). */
export function adminApiRoutes(deps: Deps) {
  const app = new Hono<AuthEnv>();
  app.use('*', async (c, next) => {
    c.header('cache-control', 'no-store');
    await next();
  });
  app.use('*', apiAuth(deps));
  app.get('/me', (c) => {
    const a = c.get('actor');
    return c.json({ type: a.type, id: a.id, label: a.label, role: a.role });
  });
  return app;
}
