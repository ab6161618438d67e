import { eq, sql } from 'drizzle-orm';
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

/**
 * `count` confirmed subscribers of the customers list in one statement (random ids, as Herald's
 * own are, so a walk in id order meets them in no particular order of their addresses), each
 * `<prefix><i>@example.net`, confirmed long ago: for large broadcasts.
 */
export async function seedConfirmedSubscribers(deps: DomainDeps, count: number, prefix = 'reader') {
  await deps.db.run(sql`
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
    INSERT INTO subscribers (id, list_id, email, state, component_ids, manage_token_hash, source, created_at, confirmed_at, updated_at)
    SELECT lower(hex(randomblob(8))), (SELECT id FROM lists WHERE slug = 'customers'), ${prefix} || i || '@example.net',
           'confirmed', NULL, lower(hex(randomblob(32))), 'test', 0, 0, 0
    FROM n`);
}
