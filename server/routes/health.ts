import { Hono } from 'hono';
import type { Deps } from '../deps.ts';

/** Liveness that means something: 200 only when the database answers. */
export function healthRoutes(deps: Deps) {
  const app = new Hono();
  app.get('/healthz', async (c) => {
    c.header('cache-control', 'no-store');
    try {
      await deps.handle.client.execute('select 1');
      return c.json({ status: 'ok', database: 'ok', time: deps.clock.now().toISOString() });
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
  });
  return app;
}
