import { and, desc, eq, like, sql } from 'drizzle-orm';
import { z } from 'zod';
import { idInput, intInput } from '../shared/inputs.ts';
import { MAX_PAGE } from '../shared/paging.ts';
import { components, lists, subscribers, subscriberStates } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { NotFoundError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { requireAdmin } from '../lists/create-list.ts';

export const searchSubscribersInput = z.strictObject({
  q: z.string().trim().max(254, 'must be at most 254 characters').optional(),
  state: z
    .enum(subscriberStates, { error: 'must be pending, confirmed or unsubscribed' })
    .optional(),
  listId: idInput.optional(),
  page: intInput(1, MAX_PAGE, `must be a page number from 1 to ${MAX_PAGE}`).default(1),
});
export type SearchSubscribersInput = z.input<typeof searchSubscribersInput>;
export const SUBSCRIBERS_PAGE_SIZE = 50;

/** The admin's subscriber table: search by address, filter by state and list, newest first. */
export async function searchSubscribers(
  deps: DomainDeps,
  raw: SearchSubscribersInput,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const input = parseInput(searchSubscribersInput, raw);
  const where = and(
    input.q
      ? like(subscribers.email, `%${input.q.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`)
      : undefined,
    input.state ? eq(subscribers.state, input.state) : undefined,
    input.listId ? eq(subscribers.listId, input.listId) : undefined,
  );
  const [count] = await deps.db
    .select({ n: sql<number>`count(*)` })
    .from(subscribers)
    .where(where);
  const rows = await deps.db
    .select({ s: subscribers, listName: lists.name })
    .from(subscribers)
    .innerJoin(lists, eq(lists.id, subscribers.listId))
    .where(where)
    .orderBy(desc(subscribers.createdAt))
    .limit(SUBSCRIBERS_PAGE_SIZE)
    .offset((input.page - 1) * SUBSCRIBERS_PAGE_SIZE);
  const names = new Map(
    (await deps.db.select({ id: components.id, name: components.name }).from(components)).map(
      (c) => [c.id, c.name],
    ),
  );
  return {
    total: count?.n ?? 0,
    page: input.page,
    pageCount: Math.max(1, Math.ceil((count?.n ?? 0) / SUBSCRIBERS_PAGE_SIZE)),
    subscribers: rows.map(({ s, listName }) => ({
      id: s.id,
      email: s.email,
      listId: s.listId,
      listName,
      state: s.state,
      components: s.componentIds
        ? s.componentIds.map((id) => names.get(id) ?? '(removed component)')
        : null,
      source: s.source,
      createdAt: s.createdAt.toISOString(),
      confirmedAt: s.confirmedAt?.toISOString() ?? null,
      unsubscribedAt: s.unsubscribedAt?.toISOString() ?? null,
    })),
  };
}

/** Removes a subscriber for good (their queued deliveries go with them). */
export async function removeSubscriber(
  deps: DomainDeps,
  raw: { subscriberId: string },
  actor: Actor,
) {
  requireAdmin(actor);
  const { subscriberId } = parseInput(z.strictObject({ subscriberId: idInput }), raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(subscribers).where(eq(subscribers.id, subscriberId));
    if (!before) throw new NotFoundError('subscriber', subscriberId);
    await tx.delete(subscribers).where(eq(subscribers.id, subscriberId));
    await recordAudit(tx, actor, now, {
      action: 'subscriber.remove',
      objectType: 'subscriber',
      objectId: subscriberId,
      before: { email: before.email, listId: before.listId, state: before.state },
    });
    return { email: before.email };
  });
}
