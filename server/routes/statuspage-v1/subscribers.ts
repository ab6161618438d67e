import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { SubscriberState } from '../../../db/schema/enums.ts';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/shared/actor.ts';
import { ConflictError } from '../../domain/shared/errors.ts';
import { runParsed, verb } from '../../domain/shared/verb.ts';
import { removeSubscriber } from '../../domain/subscribers/admin-subscribers.ts';
import {
  prepareRows,
  prepareRowsInput,
  writeImport,
} from '../../domain/subscribers/import-subscribers.ts';
import { requestSubscriptionInput } from '../../domain/subscribers/inputs.ts';
import {
  readDefaultPublicList,
  readSubscriberByEmail,
  readSubscriberById,
  readSubscriberPage,
  type SubscriberRow,
} from '../../domain/subscribers/read-subscriber-page.ts';
import { requestSubscription } from '../../domain/subscribers/request-subscription.ts';
import { COMPONENT_IDS_LIST, fieldError, paging } from './context.ts';
import { type V1At, type V1Row, v1Input } from './operation.ts';
import { subscriberV1 } from './shapes.ts';

// Email subscribers of the page's public list. A subscriber added here confirms by email
// (double opt-in) unless the admin says they already consented elsewhere
// (skip_confirmation_notification), as an import does.

/** Either an import row (consented elsewhere) or a sign-up, each checked by its own schema. */
const createBody = v1Input(
  z.strictObject({
    subscriber: z.strictObject(
      {
        email: z.string({ error: 'is required' }),
        component_ids: z
          .array(z.string({ error: 'must be component ids' }), { error: COMPONENT_IDS_LIST })
          .max(500)
          .optional(),
        skip_confirmation_notification: z.boolean({ error: 'must be true or false' }).optional(),
      },
      { error: 'must be an object with an email' },
    ),
  }),
  ({ subscriber: b }) => {
    const componentIds = b.component_ids?.length ? b.component_ids : null;
    return b.skip_confirmation_notification
      ? {
          email: b.email,
          imported: { rows: [{ email: b.email, componentIds, state: 'confirmed' as const }] },
        }
      : { email: b.email, signUp: { email: b.email, componentIds } };
  },
  // The list is the page's public list, read when the request runs.
  z.strictObject({
    email: z.string(),
    imported: prepareRowsInput.omit({ listId: true }).optional(),
    signUp: requestSubscriptionInput.omit({ listIds: true }).optional(),
  }),
);

const subscriberNames = {
  email: 'subscriber.email',
  componentIds: 'subscriber.component_ids',
  'signUp.email': 'subscriber.email',
  'signUp.componentIds': 'subscriber.component_ids',
  'imported.rows.0.email': 'subscriber.email',
  'imported.rows.0.componentIds': 'subscriber.component_ids',
};

const statesByName: Record<string, SubscriberState[] | null> = {
  active: ['confirmed'],
  unconfirmed: ['pending'],
  quarantined: ['unsubscribed'],
  all: null,
};

const leafIds = async (deps: Deps) =>
  (await deps.reader.components()).components.filter((x) => !x.group).map((x) => x.id);

const createSubscriber = verb(createBody, async (deps: Deps, input, actor) => {
  const listRow = await readDefaultPublicList(deps);
  if (!listRow) throw new ConflictError('Herald has no public list to add subscribers to.');
  if (input.imported) {
    const prepared = await runParsed(
      prepareRows,
      deps,
      { listId: listRow.id, ...input.imported },
      actor,
    );
    const refused = prepared.rejected[0];
    if (refused) throw fieldError('subscriber.email', refused.reason);
    const report = await writeImport(deps, prepared, actor);
    const left = report?.rejected[0];
    if (left) throw new ConflictError(`${input.email}: ${left.reason}.`);
  } else {
    await runParsed(requestSubscription, deps, { ...input.signUp!, listIds: [listRow.id] }, actor);
  }
  const row = await readSubscriberByEmail(deps, listRow.id, input.email, actor);
  return subscriberV1(row, await leafIds(deps));
});

const S = '/pages/:page_id/subscribers';
const subscriberFound = (deps: Deps, p: Record<string, string>, actor: Actor) =>
  readSubscriberById(deps, p.id!, actor);

export const subscriberOperations: V1Row[] = [
  {
    method: 'get',
    path: S,
    role: 'admin',
    verb: async (deps, _raw, actor, at) => {
      const state = at.query.state ?? 'active';
      if (!(state in statesByName))
        throw new HTTPException(400, {
          message: 'state must be one of active, unconfirmed, quarantined, all.',
        });
      const type = at.query.type;
      if (type !== undefined && type !== 'email')
        throw new HTTPException(400, { message: 'type: Herald has email subscribers only.' });
      const rows = await readSubscriberPage(
        deps,
        { states: statesByName[state]!, q: at.query.q || undefined, ...paging(at.query) },
        actor,
      );
      const ids = await leafIds(deps);
      return rows.map((r) => subscriberV1(r, ids));
    },
    success: 200,
  },
  {
    method: 'post',
    path: S,
    role: 'admin',
    verb: createSubscriber,
    names: subscriberNames,
    success: 201,
  },
  {
    method: 'get',
    path: `${S}/:id`,
    role: 'admin',
    found: subscriberFound,
    verb: async (deps, _raw, _actor, at: V1At<SubscriberRow>) =>
      subscriberV1(at.found, await leafIds(deps)),
    success: 200,
  },
  {
    method: 'delete',
    path: `${S}/:id`,
    role: 'admin',
    found: subscriberFound,
    verb: (deps, _raw, actor, at: V1At<SubscriberRow>) =>
      removeSubscriber(deps, { subscriberId: at.found.id }, actor),
    success: 204,
  },
];
