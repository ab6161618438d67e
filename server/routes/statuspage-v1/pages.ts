import { Hono } from 'hono';
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import { updateSettings } from '../../domain/settings/update-settings.ts';
import { actorOf, inV1Words, param, type V1Env, v1Body } from './context.ts';
import { pageV1 } from './shapes.ts';

const pagePatch = z.strictObject({
  page: z.strictObject(
    {
      name: z.string({ error: 'must be a string' }).optional(),
      time_zone: z.string({ error: 'must be a string' }).optional(),
    },
    { error: 'must be an object with name and/or time_zone' },
  ),
});

/** GET /pages, GET and PATCH /pages/{page_id}: the one page Herald serves. */
export function pageRoutes(deps: Deps) {
  const app = new Hono<V1Env>();
  const thePage = async (c: Parameters<typeof param>[0]) => {
    const page = await deps.reader.page();
    const wanted = param(c, 'page_id');
    if (wanted !== page.id) throw new NotFoundError('page', wanted);
    return page;
  };
  app.get('/pages', async (c) => c.json([pageV1(await deps.reader.page())]));
  app.get('/pages.json', async (c) => c.json([pageV1(await deps.reader.page())]));
  app.get('/pages/:page_id', async (c) => c.json(pageV1(await thePage(c))));
  const patch = async (c: Parameters<typeof param>[0]) => {
    await thePage(c);
    const { page } = await v1Body(c, pagePatch);
    await inV1Words({ pageName: 'page.name', timeZone: 'page.time_zone' }, () =>
      updateSettings(deps, { pageName: page.name, timeZone: page.time_zone }, actorOf(c)),
    );
    return c.json(pageV1(await deps.reader.page()));
  };
  app.patch('/pages/:page_id', patch);
  app.put('/pages/:page_id', patch);
  return app;
}
