import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { SubscriberState } from '../../../db/schema/enums.ts';
import type { Deps } from '../../deps.ts';
import { assertRole } from '../../domain/shared/actor.ts';
import { ConflictError, ValidationError } from '../../domain/shared/errors.ts';
import { removeSubscriber } from '../../domain/subscribers/admin-subscribers.ts';
import { prepareRows, writeImport } from '../../domain/subscribers/import-subscribers.ts';
import {
  readDefaultPublicList,
  readSubscriberByEmail,
  readSubscriberById,
  readSubscriberPage,
} from '../../domain/subscribers/read-subscriber-page.ts';
import { requestSubscription } from '../../domain/subscribers/request-subscription.ts';
import {
  actorOf,
  inV1Words,
  noContent,
  paging,
  param,
  type V1Context,
  type V1Env,
  v1Body,
} from './context.ts';
import { subscriberV1 } from './shapes.ts';

// Email subscribers of the page's public list. A subscriber added here confirms by email
// (double opt-in) unless the admin says they already consented elsewhere
// (skip_confirmation_notification), as an import does.

const subscriberBody = z.strictObject({
  subscriber: z.strictObject(
    {
      email: z.string({ error: 'is required' }),
      component_ids: z
        .array(z.string({ error: 'must be component ids' }))
        .max(500)
        .optional(),
      skip_confirmation_notification: z.boolean({ error: 'must be true or false' }).optional(),
    },
    { error: 'must be an object with an email' },
  ),
});

const statesByName: Record<string, SubscriberState[] | null> = {
  active: ['confirmed'],
  unconfirmed: ['pending'],
  quarantined: ['unsubscribed'],
  all: null,
};

export function subscriberRoutes(deps: Deps) {
  const app = new Hono<V1Env>();
  const leafIds = async () =>
    (await deps.reader.components()).components.filter((x) => !x.group).map((x) => x.id);

  const list = async (c: V1Context) => {
    const state = c.req.query('state') ?? 'active';
    if (!(state in statesByName))
      throw new HTTPException(400, {
        message: 'state must be one of active, unconfirmed, quarantined, all.',
      });
    const type = c.req.query('type');
    if (type !== undefined && type !== 'email')
      throw new HTTPException(400, { message: 'type: Herald has email subscribers only.' });
    const rows = await readSubscriberPage(
      deps,
      { states: statesByName[state]!, q: c.req.query('q') || undefined, ...paging(c) },
      actorOf(c),
    );
    const ids = await leafIds();
    return c.json(rows.map((r) => subscriberV1(r, ids)));
  };
  app.get('/subscribers', list);
  app.get('/subscribers.json', list);

  const create = async (c: V1Context) => {
    const { subscriber: b } = await v1Body(c, subscriberBody);
    const actor = actorOf(c);
    assertRole(actor, 'admin');
    const listRow = await readDefaultPublicList(deps);
    if (!listRow) throw new ConflictError('Herald has no public list to add subscribers to.');
    const names = { email: 'subscriber.email', componentIds: 'subscriber.component_ids' };
    const componentIds = b.component_ids?.length ? b.component_ids : null;
    if (b.skip_confirmation_notification) {
      const prepared = await prepareRows(
        deps,
        {
          listId: listRow.id,
          rows: [{ email: b.email, componentIds, state: 'confirmed' }],
        },
        actor,
      );
      const refused = prepared.rejected[0];
      if (refused)
        throw new ValidationError(`subscriber.email: ${refused.reason}`, {
          'subscriber.email': refused.reason,
        });
      const report = await writeImport(deps, prepared, actor);
      const left = report?.rejected[0];
      if (left) throw new ConflictError(`${b.email}: ${left.reason}.`);
    } else {
      await inV1Words(names, () =>
        requestSubscription(deps, { email: b.email, listIds: [listRow.id], componentIds }, actor),
      );
    }
    const row = await readSubscriberByEmail(deps, listRow.id, b.email, actor);
    return c.json(subscriberV1(row, await leafIds()), 201);
  };
  app.post('/subscribers', create);
  app.post('/subscribers.json', create);

  app.get('/subscribers/:id', async (c) => {
    const row = await readSubscriberById(deps, param(c, 'id'), actorOf(c));
    return c.json(subscriberV1(row, await leafIds()));
  });

  app.delete('/subscribers/:id', async (c) => {
    const id = param(c, 'id');
    await readSubscriberById(deps, id, actorOf(c));
    await removeSubscriber(deps, { subscriberId: id }, actorOf(c));
    return noContent(c);
  });
  return app;
}
