import type { Context } from 'hono';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import {
  readBroadcast,
  readBroadcasts,
  retryFailedDeliveries,
} from '../domain/broadcasts/broadcast-admin.ts';
import { createList } from '../domain/lists/create-list.ts';
import { createListInput, updateListInput } from '../domain/lists/inputs.ts';
import { updateList } from '../domain/lists/update-list.ts';
import { removeSubscriber, searchSubscribers } from '../domain/subscribers/admin-subscribers.ts';
import { importSubscribers } from '../domain/subscribers/import-subscribers.ts';
import type { AuthEnv } from '../http/auth.ts';
import type { ApiOperation } from '../http/openapi.ts';
import { previewInput, previewUpdateEmail } from '../mail/preview.ts';
import { readLists } from '../domain/lists/read-lists.ts';

type Ctx = Context<AuthEnv>;
type Op = (meta: ApiOperation, handler: (c: Ctx) => Promise<Response> | Response) => void;

/**
 * Lists, subscribers, broadcasts and the email preview in the admin JSON API, declared in the
 * same operation table as the rest of /api/admin (so they appear in its OpenAPI document).
 */
export function registerBroadcastApi(
  op: Op,
  deps: Deps,
  body: (c: Ctx) => Promise<Record<string, unknown>>,
) {
  const actor = (c: Ctx) => c.get('actor');
  const id = (c: Ctx) => c.req.param('id') ?? '';
  const v = <T>(x: T) => x as never;

  op(
    { method: 'get', path: '/lists', summary: 'Distribution lists', role: 'admin', success: 200 },
    async (c) => c.json({ lists: await readLists(deps.db) }),
  );
  op(
    {
      method: 'post',
      path: '/lists',
      summary: 'Add a distribution list',
      role: 'admin',
      body: createListInput,
      success: 201,
    },
    async (c) => c.json({ list: await createList(deps, v(await body(c)), actor(c)) }, 201),
  );
  op(
    {
      method: 'patch',
      path: '/lists/:id',
      summary: 'Edit a distribution list (all fields)',
      role: 'admin',
      body: updateListInput,
      omit: ['listId'],
      success: 200,
    },
    async (c) =>
      c.json({ list: await updateList(deps, v({ ...(await body(c)), listId: id(c) }), actor(c)) }),
  );

  op(
    {
      method: 'get',
      path: '/subscribers',
      summary: 'Search subscribers',
      role: 'admin',
      query: {
        q: 'part of the address',
        state: 'pending | confirmed | unsubscribed',
        list: 'list id',
        page: '1, 2, ...',
      },
      success: 200,
    },
    async (c) => {
      const q = c.req.query();
      return c.json(
        await searchSubscribers(
          deps,
          { q: q.q, state: v(q.state ?? ''), listId: q.list ?? '', page: q.page ?? 1 },
          actor(c),
        ),
      );
    },
  );
  op(
    {
      method: 'delete',
      path: '/subscribers/:id',
      summary: 'Remove a subscriber',
      role: 'admin',
      success: 200,
    },
    async (c) => c.json(await removeSubscriber(deps, { subscriberId: id(c) }, actor(c))),
  );
  op(
    {
      method: 'post',
      path: '/subscribers/import',
      summary: 'Import already-consented addresses from CSV text; reports rejected rows',
      role: 'admin',
      body: z.object({ listId: z.string(), csv: z.string() }),
      success: 200,
    },
    async (c) => c.json(await importSubscribers(deps, v(await body(c)), actor(c))),
  );

  op(
    {
      method: 'get',
      path: '/broadcasts',
      summary: 'Recent broadcasts with their progress',
      role: 'responder',
      success: 200,
    },
    async (c) =>
      c.json({
        broadcasts: await readBroadcasts(deps, {
          limit: 50,
          ...(c.req.query('incident') ? { incidentId: c.req.query('incident') } : {}),
        }),
      }),
  );
  op(
    {
      method: 'get',
      path: '/broadcasts/:id',
      summary: 'One broadcast: progress and failed deliveries',
      role: 'responder',
      success: 200,
    },
    async (c) => c.json(await readBroadcast(deps, id(c))),
  );
  op(
    {
      method: 'post',
      path: '/broadcasts/:id/retry',
      summary: 'Queue failed deliveries again (all, or the given ids)',
      role: 'responder',
      body: z.object({ deliveryIds: z.array(z.string()).optional() }),
      success: 200,
    },
    async (c) =>
      c.json(
        await retryFailedDeliveries(deps, v({ ...(await body(c)), broadcastId: id(c) }), actor(c)),
      ),
  );
  op(
    {
      method: 'post',
      path: '/email-preview',
      summary: 'The exact email an update would send (nothing is published)',
      role: 'responder',
      body: previewInput,
      success: 200,
    },
    async (c) => c.json(await previewUpdateEmail(deps, v(await body(c)))),
  );
}
