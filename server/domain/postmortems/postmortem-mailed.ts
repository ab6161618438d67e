import { and, eq, inArray, min } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { broadcasts, deliveries } from '../../../db/schema/index.ts';

/**
 * When the lists were first emailed this incident's post-mortem; null when never. A notice still
 * queued counts (it goes out once the post-mortem is published), one skipped or failed for
 * everyone does not: a post-mortem unpublished before its mail went out was never read. Herald
 * emails a post-mortem once, so republishing after an edit never mails the same people twice.
 */
export async function postmortemMailedAt(db: DbOrTx, incidentId: string): Promise<Date | null> {
  const [row] = await db
    .select({ at: min(broadcasts.createdAt) })
    .from(broadcasts)
    .innerJoin(deliveries, eq(deliveries.broadcastId, broadcasts.id))
    .where(
      and(
        eq(broadcasts.incidentId, incidentId),
        eq(broadcasts.kind, 'incident_postmortem'),
        inArray(deliveries.state, ['pending', 'sending', 'sent']),
      ),
    );
  return row?.at ?? null;
}
