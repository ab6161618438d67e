import { asc } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { lists } from '../../../db/schema/index.ts';

/** Every list, oldest first (the seeded ones lead). */
export function readLists(db: DbOrTx) {
  return db.select().from(lists).orderBy(asc(lists.createdAt), asc(lists.name));
}
