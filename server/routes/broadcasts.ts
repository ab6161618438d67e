import { z } from 'zod';
import type { Deps } from '../deps.ts';
import {
  readBroadcast,
  readBroadcasts,
  retryFailedDeliveries,
  retryInput,
} from '../domain/broadcasts/broadcast-admin.ts';
import { createList } from '../domain/lists/create-list.ts';
import { createListInput, updateListInput } from '../domain/lists/inputs.ts';
import { readLists } from '../domain/lists/read-lists.ts';
import { updateList } from '../domain/lists/update-list.ts';
import { idInput } from '../domain/shared/inputs.ts';
import {
  removeSubscriber,
  searchSubscribers,
  searchSubscribersInput,
} from '../domain/subscribers/admin-subscribers.ts';
import {
  readSubscriberImport,
  readSubscriberImports,
  startSubscriberImport,
} from '../domain/subscribers/import-jobs.ts';
import { importInput, importSubscribers } from '../domain/subscribers/import-subscribers.ts';
import { previewInput, previewUpdateEmail } from '../mail/preview.ts';
import { actorOf, type Operation, parseQuery, pathId, queryInt, op } from './operation.ts';

/** A CSV import carries up to 10 MB of text (JSON-escaped); everything else is small. */
export const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

const subscriberQuery = z.strictObject({
  q: z.string().optional(),
  state: searchSubscribersInput.shape.state,
  list: idInput.optional(),
  page: queryInt(1, 100_000).optional(),
});
const broadcastQuery = z.strictObject({ incident: idInput.optional() });

/** Distribution lists, subscribers (search, remove, import), broadcasts and the email preview. */
export function broadcastOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/lists',
        summary: 'Distribution lists',
        role: 'admin',
        success: 200,
      },
      handler: async (c) => c.json({ lists: await readLists(deps.db) }),
    },
    op({
      meta: {
        method: 'post',
        path: '/lists',
        summary: 'Add a distribution list',
        role: 'admin',
        body: createListInput,
        success: 201,
      },
      handler: async (c, input) => {
        return c.json({ list: await createList(deps, input, actorOf(c)) }, 201);
      },
    }),
    op({
      meta: {
        method: 'patch',
        path: '/lists/:id',
        summary: 'Edit a distribution list (fields left out keep their value)',
        role: 'admin',
        body: updateListInput,
        omit: ['listId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json({ list: await updateList(deps, input, actorOf(c)) });
      },
    }),
    {
      meta: {
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
      handler: async (c) => {
        const q = parseQuery(c, subscriberQuery);
        return c.json(
          await searchSubscribers(
            deps,
            { q: q.q, state: q.state, listId: q.list, page: q.page },
            actorOf(c),
          ),
        );
      },
    },
    {
      meta: {
        method: 'delete',
        path: '/subscribers/:id',
        summary: 'Remove a subscriber',
        role: 'admin',
        success: 200,
      },
      handler: async (c) =>
        c.json(await removeSubscriber(deps, { subscriberId: pathId(c) }, actorOf(c))),
    },
    op({
      meta: {
        method: 'post',
        path: '/subscribers/import',
        summary: 'Import already-consented addresses from CSV text; reports rejected rows',
        role: 'admin',
        body: importInput,
        maxBodyBytes: IMPORT_BODY_LIMIT,
        success: 200,
      },
      handler: async (c, input) => {
        return c.json(await importSubscribers(deps, input, actorOf(c)));
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/lists/:id/imports',
        summary:
          'Start importing already-consented addresses from CSV text; answers 202 with the import to follow',
        role: 'admin',
        body: importInput,
        omit: ['listId'],
        maxBodyBytes: IMPORT_BODY_LIMIT,
        success: 202,
      },
      handler: async (c, input) => {
        const { view } = await startSubscriberImport(deps, input, actorOf(c));
        c.header('Location', `/api/admin/lists/${view.listId}/imports/${view.id}`);
        return c.json({ import: view }, 202);
      },
    }),
    {
      meta: {
        method: 'get',
        path: '/lists/:id/imports',
        summary: "A list's recent imports, newest first",
        role: 'admin',
        success: 200,
      },
      handler: async (c) => c.json({ imports: await readSubscriberImports(deps, pathId(c), 20) }),
    },
    {
      meta: {
        method: 'get',
        path: '/lists/:id/imports/:importId',
        summary: 'One import: rows done of the total, rejected rows, and why it waits if it does',
        role: 'admin',
        success: 200,
      },
      handler: async (c) =>
        c.json({
          import: await readSubscriberImport(deps, pathId(c), c.req.param('importId') ?? ''),
        }),
    },
    {
      meta: {
        method: 'get',
        path: '/broadcasts',
        summary: 'Recent broadcasts with their progress',
        role: 'responder',
        query: { incident: 'incident id' },
        success: 200,
      },
      handler: async (c) => {
        const { incident } = parseQuery(c, broadcastQuery);
        return c.json({
          broadcasts: await readBroadcasts(deps, {
            limit: 50,
            ...(incident ? { incidentId: incident } : {}),
          }),
        });
      },
    },
    {
      meta: {
        method: 'get',
        path: '/broadcasts/:id',
        summary: 'One broadcast: progress and failed deliveries',
        role: 'responder',
        success: 200,
      },
      handler: async (c) => c.json(await readBroadcast(deps, pathId(c))),
    },
    op({
      meta: {
        method: 'post',
        path: '/broadcasts/:id/retry',
        summary: 'Queue failed deliveries again (all, or the given ids; the body may be empty)',
        role: 'responder',
        body: retryInput,
        optionalBody: true,
        omit: ['broadcastId'],
        success: 200,
      },
      handler: async (c, input) => {
        return c.json(await retryFailedDeliveries(deps, input, actorOf(c)));
      },
    }),
    op({
      meta: {
        method: 'post',
        path: '/email-preview',
        summary: 'The exact email an update would send (nothing is published)',
        role: 'responder',
        body: previewInput,
        success: 200,
      },
      handler: async (c, input) => c.json(await previewUpdateEmail(deps, input)),
    }),
  ];
}
