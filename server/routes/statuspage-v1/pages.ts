import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { updateSettings, updateSettingsInput } from '../../domain/settings/update-settings.ts';
import { runParsed, verb } from '../../domain/shared/verb.ts';
import { type V1Row, v1Input } from './operation.ts';
import { pageV1 } from './shapes.ts';

// The one page Herald serves: GET /pages, GET and PATCH /pages/{page_id}. The page id itself is
// checked before any of them runs (index.ts).

const pagePatch = v1Input(
  z.strictObject({
    page: z.strictObject(
      {
        name: z.string({ error: 'must be a string' }).optional(),
        time_zone: z.string({ error: 'must be a string' }).optional(),
      },
      { error: 'must be an object with name and/or time_zone' },
    ),
  }),
  ({ page }) => ({ pageName: page.name, timeZone: page.time_zone }),
  updateSettingsInput,
);

const updatePage = verb(pagePatch, async (deps: Deps, input, actor) => {
  await runParsed(updateSettings, deps, input, actor);
  return pageV1(await deps.reader.page());
});

export const pageOperations: V1Row[] = [
  {
    method: 'get',
    path: '/pages',
    role: 'viewer',
    verb: async (deps) => [pageV1(await deps.reader.page())],
    success: 200,
  },
  {
    method: 'get',
    path: '/pages/:page_id',
    role: 'viewer',
    verb: async (deps) => pageV1(await deps.reader.page()),
    success: 200,
  },
  {
    method: 'patch',
    path: '/pages/:page_id',
    role: 'admin',
    verb: updatePage,
    names: { pageName: 'page.name', timeZone: 'page.time_zone' },
    success: 200,
  },
];
