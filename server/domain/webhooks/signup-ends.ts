import { eq, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { endedWebhookSignups, webhooks, webhookSignups } from '../../../db/schema/index.ts';

/** Who removed a visitor's webhook: the visitor, the team, or Herald after a month paused. */
export type SignupEnd = (typeof endedWebhookSignups.$inferSelect)['reason'];

/** How long a removed webhook's manage link still says what happened. */
const ENDS_KEPT_DAYS = 365;

/**
 * Keeps what a visitor's manage link will say once its webhook is gone, in the transaction that
 * removes it (before the delete, whose cascade takes the sign-up row), with the incident a
 * follower's webhook followed. A team's webhook has no sign-up, so nothing is kept for it.
 */
export async function endSignup(tx: DbOrTx, webhookId: string, reason: SignupEnd, now: Date) {
  await tx
    .insert(endedWebhookSignups)
    .select(
      tx
        .select({
          manageTokenHash: webhookSignups.manageTokenHash,
          reason: sql<SignupEnd>`${reason}`.as('reason'),
          endedAt: sql<number>`${now.getTime()}`.as('ended_at'),
          incidentId: webhooks.incidentId,
        })
        .from(webhookSignups)
        .innerJoin(webhooks, eq(webhooks.id, webhookSignups.webhookId))
        .where(eq(webhookSignups.webhookId, webhookId)),
    )
    .onConflictDoNothing();
}

/**
 * Why the webhook behind a manage link is gone (and which incident it followed, if it was a
 * follower's), or null when the link never was one.
 */
export async function readSignupEnd(db: DbOrTx, manageTokenHash: string) {
  const [row] = await db
    .select({ reason: endedWebhookSignups.reason, incidentId: endedWebhookSignups.incidentId })
    .from(endedWebhookSignups)
    .where(eq(endedWebhookSignups.manageTokenHash, manageTokenHash));
  return row ?? null;
}

/** Forgets removed webhooks' manage links after a year. */
export async function pruneSignupEnds(tx: DbOrTx, now: Date) {
  await tx
    .delete(endedWebhookSignups)
    .where(lt(endedWebhookSignups.endedAt, new Date(now.getTime() - ENDS_KEPT_DAYS * 86_400_000)));
}
