import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { lists } from '../../../db/schema/index.ts';
import { newId } from '../shared/ids.ts';

/**
 * Seeds Stakeholders (internal), Customers (public) and Drills (drill lists only) on a database that has no list yet.
 * Later starts leave the lists alone, so a list an admin removed does not come back; two
 * processes starting together are kept apart by the unique slug.
 */
export async function ensureDefaultLists(db: DbOrTx, now: Date): Promise<void> {
  const [row] = await db.select({ n: sql<number>`count(*)` }).from(lists);
  if ((row?.n ?? 0) > 0) return;
  await db
    .insert(lists)
    .values([
      {
        id: newId(),
        slug: 'stakeholders',
        name: 'Stakeholders',
        description:
          'Everyone inside the company who needs to know: every P0 and P1 update, with internal notes.',
        isInternal: true,
        // Empty: follows the company domains (settings, then COMPANY_DOMAINS).
        allowedDomains: '',
        priorities: '0,1',
        isDrill: false,
        createdAt: now,
        updatedAt: now,
      },
      {
        id: newId(),
        slug: 'customers',
        name: 'Customers',
        description: 'Email when a serious incident starts, changes and ends.',
        isInternal: false,
        allowedDomains: '',
        priorities: '0,1',
        isDrill: false,
        createdAt: now,
        updatedAt: now,
      },
      {
        id: newId(),
        slug: 'drills',
        name: 'Drills',
        description: 'Practice incidents: the whole flow, marked [DRILL], never to real lists.',
        isInternal: true,
        allowedDomains: '',
        priorities: '0,1,2,3',
        isDrill: true,
        createdAt: now,
        updatedAt: now,
      },
    ])
    .onConflictDoNothing();
}
