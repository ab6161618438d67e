import { verb } from '../domain/shared/verb.ts';
import type { Deps } from '../deps.ts';
import { z } from 'zod';
import {
  readBroadcast,
  readBroadcasts,
  retryFailedDeliveries,
} from '../domain/broadcasts/broadcast-admin.ts';
import { createList } from '../domain/lists/create-list.ts';
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
import { importSubscribers } from '../domain/subscribers/import-subscribers.ts';
import { previewUpdateEmail } from '../mail/preview.ts';
import { operation, queryInt } from './operation.ts';
import { MAX_PAGE } from '../domain/shared/paging.ts';

/** A CSV import carries up to 10 MB of text (JSON-escaped); everything else is small. */
export const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

const subscriberQuery = z.strictObject({
  q: z.string().optional(),
  state: searchSubscribersInput.shape.state,
  list: idInput.optional(),
  page: queryInt(1, MAX_PAGE).optional(),
});
const broadcastQuery = z.strictObject({ incident: idInput.optional() });

/** Distribution lists, subscribers (search, remove, import), broadcasts and the email preview. */
export const broadcastOps = {
  lists: operation({
    method: 'get',
    path: '/lists',
    summary: 'Distribution lists',
    role: 'admin',
    verb: async (deps) => ({ lists: await readLists(deps.db) }),
    success: 200,
  }),
  createList: operation({
    method: 'post',
    path: '/lists',
    summary: 'Add a distribution list',
    role: 'admin',
    verb: createList,
    answer: (list) => ({ list }),
    success: 201,
  }),
  updateList: operation({
    method: 'patch',
    path: '/lists/:id',
    summary: 'Edit a distribution list (fields left out keep their value)',
    role: 'admin',
    pathField: 'listId',
    verb: updateList,
    answer: (list) => ({ list }),
    success: 200,
  }),
  subscribers: operation({
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
    verb: verb(subscriberQuery, (deps: Deps, q, actor) =>
      searchSubscribers(deps, { q: q.q, state: q.state, listId: q.list, page: q.page }, actor),
    ),
    success: 200,
  }),
  removeSubscriber: operation({
    method: 'delete',
    path: '/subscribers/:id',
    summary: 'Remove a subscriber',
    role: 'admin',
    verb: (deps, { id }, actor) => removeSubscriber(deps, { subscriberId: id }, actor),
    success: 200,
  }),
  importSubscribers: operation({
    method: 'post',
    path: '/subscribers/import',
    summary: 'Import already-consented addresses from CSV text; reports rejected rows',
    role: 'admin',
    maxBodyBytes: IMPORT_BODY_LIMIT,
    verb: importSubscribers,
    success: 200,
  }),
  startImport: operation({
    method: 'post',
    path: '/lists/:id/imports',
    summary:
      'Start importing already-consented addresses from CSV text; answers 202 with the import to follow',
    role: 'admin',
    pathField: 'listId',
    maxBodyBytes: IMPORT_BODY_LIMIT,
    verb: startSubscriberImport,
    answer: ({ view }) => ({ import: view }),
    location: ({ view }) => `/api/admin/lists/${view.listId}/imports/${view.id}`,
    success: 202,
  }),
  imports: operation({
    method: 'get',
    path: '/lists/:id/imports',
    summary: "A list's recent imports, newest first",
    role: 'admin',
    verb: async (deps, { id }) => ({ imports: await readSubscriberImports(deps, id, 20) }),
    success: 200,
  }),
  import: operation({
    method: 'get',
    path: '/lists/:id/imports/:importId',
    summary: 'One import: rows done of the total, rejected rows, and why it waits if it does',
    role: 'admin',
    verb: async (deps, { id, importId }) => ({
      import: await readSubscriberImport(deps, id, importId ?? ''),
    }),
    success: 200,
  }),
  broadcasts: operation({
    method: 'get',
    path: '/broadcasts',
    summary: 'Recent broadcasts with their progress',
    role: 'responder',
    query: { incident: 'incident id' },
    verb: verb(broadcastQuery, async (deps: Deps, { incident }) => ({
      broadcasts: await readBroadcasts(deps, {
        limit: 50,
        ...(incident ? { incidentId: incident } : {}),
      }),
    })),
    success: 200,
  }),
  broadcast: operation({
    method: 'get',
    path: '/broadcasts/:id',
    summary: 'One broadcast: progress and failed deliveries',
    role: 'responder',
    verb: (deps, { id }) => readBroadcast(deps, id),
    success: 200,
  }),
  retry: operation({
    method: 'post',
    path: '/broadcasts/:id/retry',
    summary: 'Queue failed deliveries again (all, or the given ids; the body may be empty)',
    role: 'responder',
    optionalBody: true,
    pathField: 'broadcastId',
    verb: retryFailedDeliveries,
    success: 200,
  }),
  emailPreview: operation({
    method: 'post',
    path: '/email-preview',
    summary: 'The exact email an update would send (nothing is published)',
    role: 'responder',
    verb: previewUpdateEmail,
    success: 200,
  }),
};

export const broadcastOperations = Object.values(broadcastOps);
