import { eq } from 'drizzle-orm';
import { lists, subscribers } from '../../db/schema/index.ts';
import type { DomainDeps } from '../../server/domain/shared/deps.ts';
import { newId } from '../../server/domain/shared/ids.ts';
import { hashToken, linkKey, manageToken } from '../../server/domain/subscribers/tokens.ts';

export async function listBySlug(deps: DomainDeps, slug: string) {
  const [l] = await deps.db.select().from(lists).where(eq(lists.slug, slug));
  if (!l) throw new Error(`no list ${slug}`);
  return l;
}

/** A confirmed subscriber (as after double opt-in or a CSV import), ready to receive. */
export async function makeConfirmedSubscriber(
  deps: DomainDeps,
  email: string,
  listSlug = 'customers',
  componentIds: string[] | null = null,
) {
  const list = await listBySlug(deps, listSlug);
  const id = newId();
  const now = deps.clock.now();
  const token = manageToken(await linkKey(deps.db, deps.config), id);
  await deps.db.insert(subscribers).values({
    id,
    listId: list.id,
    email,
    state: 'confirmed',
    componentIds,
    manageTokenHash: hashToken(token),
    source: 'test',
    createdAt: now,
    confirmedAt: now,
    updatedAt: now,
  });
  return { id, token };
}
