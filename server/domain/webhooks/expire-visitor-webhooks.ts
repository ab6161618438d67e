import { and, eq, sql } from 'drizzle-orm';
import { webhooks } from '../../../db/schema/index.ts';
import { systemActor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { recordAudit } from '../shared/writes.ts';
import { endSignup, pruneSignupEnds } from './signup-ends.ts';
import { visitorOwned } from './webhook-identity.ts';

/**
 * How long a visitor's webhook may stay paused before it is removed with its queue. Its owner
 * alone can fix the receiver (the admins are not told of it, webhook-store.ts), and a paused
 * webhook keeps queueing every event: one whose receiver is gone for good would grow without end.
 */
export const VISITOR_WEBHOOK_PAUSED_DAYS = 30;

/**
 * Removes visitors' webhooks (a follower of one incident, a public sign-up) paused for
 * `VISITOR_WEBHOOK_PAUSED_DAYS`, with their queued deliveries; each removal is audited
 * (`webhook.expire`, by Herald). A team's webhook is never removed: its admins decide. At most
 * `limit` a pass, in one short transaction; the scheduler's next pass takes the rest.
 */
export async function expireVisitorWebhooks(
  deps: DomainDeps,
  limit = 100,
): Promise<{ webhookId: string; host: string }[]> {
  const now = deps.clock.now();
  const cutoff = now.getTime() - VISITOR_WEBHOOK_PAUSED_DAYS * 86_400_000;
  return deps.db.transaction(async (tx) => {
    const due = await tx.all<{ id: string; url: string; pausedAt: number }>(sql`
      SELECT w.id, w.url, w.paused_at AS pausedAt FROM webhooks w
      WHERE w.state = 'paused' AND w.paused_at <= ${cutoff}
        AND ${visitorOwned}
      ORDER BY w.paused_at LIMIT ${limit}`);
    const removed: { webhookId: string; host: string }[] = [];
    for (const w of due) {
      // What its manage link will say, kept before the delete's cascade takes the sign-up (a
      // webhook another pass removed first has no sign-up left to copy).
      await endSignup(tx, w.id, 'expired', now);
      // Conditional, and audited only when it removed the row: another process's pass may have
      // taken it first.
      const gone = await tx
        .delete(webhooks)
        .where(and(eq(webhooks.id, w.id), eq(webhooks.state, 'paused')))
        .returning({ id: webhooks.id });
      if (gone.length === 0) continue;
      const host = new URL(w.url).host;
      await recordAudit(tx, systemActor, now, {
        action: 'webhook.expire',
        objectType: 'webhook',
        objectId: w.id,
        before: { host, pausedAt: new Date(Number(w.pausedAt)).toISOString() },
      });
      removed.push({ webhookId: w.id, host });
    }
    await pruneSignupEnds(tx, now);
    return removed;
  });
}
