import { and, desc, eq, inArray, isNull, like } from 'drizzle-orm';
import { lists, subscribers, type SubscriberState } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { NotFoundError } from '../shared/errors.ts';

// What the management API calls the page's lists: public lists, never an audience's.
const publicListWhere = and(
  eq(lists.isInternal, false),
  eq(lists.isDrill, false),
  isNull(lists.audienceId),
);

export interface SubscriberPageQuery {
  states: SubscriberState[] | null;
  q?: string;
  limit: number;
  offset: number;
}

/**
 * Subscribers of the public lists (not internal, not drills, not an audience's), newest first, paged: what a
 * management API client sees as the page's email subscribers. Addresses are personal data:
 * admins only.
 */
export async function readSubscriberPage(
  deps: DomainDeps,
  query: SubscriberPageQuery,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const publicLists = await deps.db.select({ id: lists.id }).from(lists).where(publicListWhere);
  if (publicLists.length === 0) return [];
  const q = query.q?.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`);
  return deps.db
    .select()
    .from(subscribers)
    .where(
      and(
        inArray(
          subscribers.listId,
          publicLists.map((l) => l.id),
        ),
        query.states ? inArray(subscribers.state, query.states) : undefined,
        q ? like(subscribers.email, `%${q}%`) : undefined,
      ),
    )
    .orderBy(desc(subscribers.createdAt), desc(subscribers.id))
    .limit(query.limit)
    .offset(query.offset);
}

/** The one public list a management API subscriber joins: the first public, non-drill list. */
export async function readDefaultPublicList(deps: DomainDeps) {
  const [list] = await deps.db
    .select()
    .from(lists)
    .where(publicListWhere)
    .orderBy(lists.createdAt)
    .limit(1);
  return list ?? null;
}

/** One subscriber of a public list, for the management API; admins only. */
export async function readSubscriberById(deps: DomainDeps, id: string, actor: Actor) {
  assertRole(actor, 'admin');
  const [row] = await deps.db
    .select({ s: subscribers })
    .from(subscribers)
    .innerJoin(lists, eq(lists.id, subscribers.listId))
    .where(and(eq(subscribers.id, id), publicListWhere));
  if (!row) throw new NotFoundError('subscriber', id);
  return row.s;
}

/** The subscriber an address is on a list, after the management API added it. */
export async function readSubscriberByEmail(
  deps: DomainDeps,
  listId: string,
  email: string,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const address = email.trim().toLowerCase();
  const [row] = await deps.db
    .select()
    .from(subscribers)
    .where(and(eq(subscribers.listId, listId), eq(subscribers.email, address)));
  if (!row) throw new NotFoundError('subscriber', address);
  return row;
}

export type SubscriberRow = typeof subscribers.$inferSelect;
