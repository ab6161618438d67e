import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Deps } from '../../deps.ts';
import { resolveApiToken } from '../../domain/auth/api-tokens.ts';
import { DatabaseBusyError, databaseFault } from '../../domain/shared/database-busy.ts';
import {
  DomainError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
} from '../../domain/shared/errors.ts';
import { retryAfterOf, statusOf } from '../../http/errors.ts';
import { noStore, refuseBodyOver } from '../../http/limits.ts';
import { DEFAULT_BODY_LIMIT } from '../../http/openapi.ts';
import { componentOperations } from './components.ts';
import type { V1Env } from './context.ts';
import { incidentOperations } from './incidents.ts';
import { mountV1, type V1Row } from './operation.ts';
import { pageOperations } from './pages.ts';
import { subscriberOperations } from './subscribers.ts';

/**
 * Every operation of the management API, declared once (`V1Row` in operation.ts): one file per
 * resource exports its rows; the routes are derived from them. Order matters where paths
 * overlap: `/incidents/unresolved` is declared before `/incidents/:id`.
 */
export const v1Operations: readonly V1Row[] = [
  ...pageOperations,
  ...componentOperations,
  ...incidentOperations,
  ...subscriberOperations,
];

/** `Authorization: OAuth <key>` (Statuspage's scheme), `Bearer <key>`, or `?api_key=`. */
function keyOf(c: Context): string | null {
  const header = c.req.header('authorization');
  if (header) return /^(?:OAuth|Bearer)\s+(\S+)\s*$/i.exec(header)?.[1] ?? null;
  return c.req.query('api_key') ?? null;
}

/**
 * Statuspage's answer to an error: `{"error": "..."}`, a string, with the status Herald gives the
 * same error elsewhere. Anything unexpected is logged and leaks nothing.
 */
function v1Error(deps: Deps) {
  return (err: Error, c: Context) => {
    const fault = err instanceof DomainError ? null : databaseFault(err);
    if (fault === 'busy' || fault === 'full') err = new DatabaseBusyError(fault);
    if (err instanceof DomainError) {
      const retryAfter = retryAfterOf(err);
      if (retryAfter !== null) c.header('Retry-After', String(retryAfter));
      return c.json({ error: err.message }, statusOf(err) as 400);
    }
    if (err instanceof HTTPException)
      return c.json({ error: err.message || 'The request could not be read.' }, err.status);
    deps.log.error('unhandled error', {
      method: c.req.method,
      path: c.req.path,
      error: err.stack ?? String(err),
    });
    return c.json(
      {
        error:
          'Something went wrong on our side. Try again; if it keeps failing, check the Herald logs.',
      },
      500,
    );
  };
}

/**
 * Statuspage's management API (v1) over Herald's own verbs, so a tool written for
 * api.statuspage.io works by changing the base URL and the key. Paths take an optional `.json`
 * suffix, as Statuspage's older documented paths carry one.
 */
export function statuspageV1Routes(deps: Deps) {
  const app = new Hono<V1Env>();
  app.onError(v1Error(deps));
  app.use('*', noStore);
  app.use('*', refuseBodyOver(DEFAULT_BODY_LIMIT, 'The request body is too large.'));
  app.use('*', async (c, next) => {
    const actor = await resolveApiToken(deps, keyOf(c));
    if (!actor)
      throw new UnauthorizedError(
        'Could not authenticate: send a Herald API token as `Authorization: OAuth <token>`.',
      );
    // A monitoring system's key posts alerts to /api/intake/* and reaches nothing else.
    if (actor.role === 'intake')
      throw new ForbiddenError('This is an intake token: it posts alerts and can do nothing else.');
    c.set('actor', actor);
    return next();
  });
  // Every path names the page: Herald serves one, with the id its v2 JSON shows.
  const onePage = async (c: Context, next: () => Promise<void>) => {
    const wanted = c.req.param('page_id')!.replace(/\.json$/, '');
    const page = await deps.reader.page();
    if (wanted !== page.id) throw new NotFoundError('page', wanted);
    return next();
  };
  app.use('/pages/:page_id', onePage);
  app.use('/pages/:page_id/*', onePage);
  mountV1(app, deps, v1Operations);
  app.all('*', (c) => c.json({ error: `No endpoint ${c.req.method} ${c.req.path}.` }, 404));
  return app;
}
