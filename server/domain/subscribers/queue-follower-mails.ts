import { and, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { incidentFollowers } from '../../../db/schema/index.ts';
import { type MessageIdConfig, readMessageIdHost } from '../outbox/message-id.ts';
import { rowsAffected } from '../shared/writes.ts';

/**
 * Queues one outbox message per confirmed follower of the incident for a published update, in
 * the publishing transaction (so nothing is lost or doubled), whatever the update's priority
 * or notify choice: following one incident asks for all of its updates. A resolving update is
 * the last: it ends every follow of the incident in the same transaction, so later updates
 * (or a reopen) reach none of them. Drills have no followers; the guard keeps it so.
 *
 * One INSERT ... SELECT; the Message-ID is stable per (update, follower).
 */
export async function queueFollowerMails(
  tx: DbOrTx,
  config: MessageIdConfig,
  u: { updateId: string; incidentId: string; status: string; isDrill: boolean },
  now: Date,
): Promise<number> {
  if (u.isDrill) return 0;
  const host = await readMessageIdHost(tx, config);
  const result = await tx.run(sql`
    INSERT INTO outbox_messages (id, kind, to_address, payload, state, attempts, next_attempt_at, message_id, created_at)
    SELECT ${u.updateId} || '-' || f.id, 'follow_update', f.email,
           json_object('followerId', f.id, 'updateId', ${u.updateId}), 'pending', 0, ${now.getTime()},
           '<' || ${u.updateId} || '.' || f.id || '.follow@' || ${host} || '>', ${now.getTime()}
    FROM incident_followers f
    WHERE f.incident_id = ${u.incidentId} AND f.state = 'confirmed' AND f.ended_at IS NULL
    ORDER BY f.id
    ON CONFLICT DO NOTHING`);
  if (u.status === 'resolved')
    await tx
      .update(incidentFollowers)
      .set({ endedAt: now, updatedAt: now })
      .where(
        and(eq(incidentFollowers.incidentId, u.incidentId), isNull(incidentFollowers.endedAt)),
      );
  return rowsAffected(result);
}
