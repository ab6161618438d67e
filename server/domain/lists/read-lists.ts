import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { audiences, lists } from '../../../db/schema/index.ts';

/**
 * Every list, oldest first (the seeded ones lead), with the address of the audience it belongs
 * to (`audience`, null for a public or internal list): for the admin only.
 */
export async function readLists(db: DbOrTx) {
  const rows = await db
    .select({ list: lists, audience: audiences.slug, audienceName: audiences.name })
    .from(lists)
    .leftJoin(audiences, eq(audiences.id, lists.audienceId))
    .orderBy(asc(lists.createdAt), asc(lists.name));
  return rows.map((r) => ({ ...r.list, audience: r.audience, audienceName: r.audienceName }));
}
