import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { components, lists, subscribers } from '../../../db/schema/index.ts';
import type { Config } from '../../config.ts';
import { getSettings } from '../settings/get-settings.ts';
import { ValidationError } from '../shared/errors.ts';
import {
  addressOnDomains,
  effectiveDomains,
  type ListRow,
  splitDomains,
} from '../lists/list-rules.ts';

export interface ComponentChoice {
  id: string;
  name: string;
  groupName: string | null;
}

/** Components a subscriber can pick: every leaf component in display order, with its group. */
export async function readComponentChoices(db: DbOrTx): Promise<ComponentChoice[]> {
  const rows = await db
    .select()
    .from(components)
    .orderBy(asc(components.position), asc(components.createdAt));
  const groups = new Map(rows.filter((r) => r.isGroup).map((g) => [g.id, g]));
  const top = rows.filter((r) => !r.groupId);
  const out: ComponentChoice[] = [];
  for (const t of top) {
    if (t.isGroup) {
      for (const c of rows.filter((r) => r.groupId === t.id))
        out.push({ id: c.id, name: c.name, groupName: t.name });
    } else out.push({ id: t.id, name: t.name, groupName: null });
  }
  // Children of groups that are themselves nested or missing still deserve a checkbox.
  for (const r of rows)
    if (!r.isGroup && r.groupId && !top.some((t) => t.id === r.groupId))
      out.push({ id: r.id, name: r.name, groupName: groups.get(r.groupId)?.name ?? null });
  return out;
}

/** Known component ids only; an empty choice means everything (null). */
export async function checkComponentIds(
  db: DbOrTx,
  ids: string[] | null | undefined,
): Promise<string[] | null> {
  if (!ids || ids.length === 0) return null;
  const found = await db
    .select({ id: components.id })
    .from(components)
    .where(inArray(components.id, ids));
  if (found.length !== ids.length) {
    throw new ValidationError(
      'Some of the chosen components no longer exist; choose again.',
      { componentIds: 'unknown component' },
      { componentIds: { key: 'valid.componentsGone' } },
    );
  }
  return ids;
}

export async function companyDomains(
  db: DbOrTx,
  config: Pick<Config, 'companyDomains'>,
): Promise<string[]> {
  const s = await getSettings(db);
  const fromSettings = splitDomains(s.companyDomains);
  return fromSettings.length > 0 ? fromSettings : config.companyDomains;
}

export interface PublicList {
  id: string;
  name: string;
  description: string;
  isInternal: boolean;
  /** Drill lists are for responders: offered, never ticked for them. */
  isDrill: boolean;
}

export const publicList = (l: ListRow): PublicList => ({
  id: l.id,
  name: l.name,
  description: l.description,
  isInternal: l.isInternal,
  isDrill: l.isDrill,
});

/**
 * Every list this address may join by itself (domain rules applied). An audience's lists are
 * never among them: its members join them from the audience's page, and /subscribe never names
 * them.
 */
export async function listsOpenTo(
  db: DbOrTx,
  config: Pick<Config, 'companyDomains'>,
  email: string | null,
): Promise<ListRow[]> {
  const all = await db
    .select()
    .from(lists)
    .where(isNull(lists.audienceId))
    .orderBy(asc(lists.createdAt), asc(lists.name));
  const company = await companyDomains(db, config);
  return all.filter((l) => {
    const domains = effectiveDomains(l, company);
    if (email === null) return domains === 'anyone';
    return addressOnDomains(email, domains);
  });
}

/** Confirmation emails asked for this address recently (durable, shared by every process). */

export async function findSubscriber(db: DbOrTx, listId: string, email: string) {
  const [row] = await db
    .select()
    .from(subscribers)
    .where(and(eq(subscribers.listId, listId), eq(subscribers.email, email)));
  return row;
}

/**
 * The lists of one sign-up (the rows sharing a subscriber's confirmation token, in the same
 * state), so its one confirmation and one welcome name them all.
 */
export async function readSignUpListNames(db: DbOrTx, subscriberId: string): Promise<string[]> {
  const [me] = await db
    .select({ hash: subscribers.confirmTokenHash, state: subscribers.state })
    .from(subscribers)
    .where(eq(subscribers.id, subscriberId));
  if (!me?.hash) return [];
  const rows = await db
    .select({ name: lists.name })
    .from(subscribers)
    .innerJoin(lists, eq(lists.id, subscribers.listId))
    .where(and(eq(subscribers.confirmTokenHash, me.hash), eq(subscribers.state, me.state)))
    // The subscribe page's order, so the mail names the lists as the form listed them.
    .orderBy(asc(lists.createdAt), asc(lists.name));
  return rows.map((r) => r.name);
}
