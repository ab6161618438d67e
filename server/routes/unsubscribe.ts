import { Hono } from 'hono';
import type { Deps } from '../deps.ts';
import { unsubscribeByToken } from '../domain/subscribers/manage-subscription.ts';
import { refuseBodyOver } from '../http/limits.ts';

/**
 * RFC 8058 one-click unsubscribe: mail programs POST `List-Unsubscribe=One-Click` to the URL
 * in the List-Unsubscribe header, with no cookies and no login; the token alone decides. No
 * Origin check here: the request does not come from a page. Browsers opening the same URL get
 * the Astro page with a button (GET).
 */
export function unsubscribeRoutes(deps: Deps) {
  const app = new Hono();
  // The body is only `List-Unsubscribe=One-Click` (and is not even read): anything big is refused.
  const limit = refuseBodyOver(1024, 'An unsubscribe request carries no body.');
  app.post('/unsubscribe/:token', limit, async (c) => {
    const r = await unsubscribeByToken(deps, { token: c.req.param('token') });
    c.header('cache-control', 'no-store');
    return c.text(`Unsubscribed: ${r.email} gets no more emails from the ${r.listName} list.\n`);
  });
  return app;
}
