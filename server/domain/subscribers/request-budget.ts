import { and, count, eq, gt, lt } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { subscriptionRequests } from '../../../db/schema/index.ts';
import { RateLimitedError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';

/**
 * Subscribe requests (one per list, or one per incident followed) for one address per hour,
 * whoever asks, whatever its state.
 */
export const CONFIRMATIONS_PER_ADDRESS_PER_HOUR = 5;

/**
 * Spends `targets.length` of the address's hourly budget in the caller's transaction, or throws
 * RateLimitedError. List subscriptions and incident follows share one budget, so neither form
 * can be used to flood an inbox with confirmation emails. Each target is recorded as asked for
 * whether or not a confirmation goes out, so a confirmed address is answered like a new one.
 * `targets` are list ids or, for a follow, incident ids (subscription_requests.list_id).
 */
export async function spendRequestBudget(
  tx: DbOrTx,
  email: string,
  targets: string[],
  now: Date,
): Promise<void> {
  const since = new Date(now.getTime() - 3600_000);
  const [row] = await tx
    .select({ n: count() })
    .from(subscriptionRequests)
    .where(and(eq(subscriptionRequests.email, email), gt(subscriptionRequests.requestedAt, since)));
  if ((row?.n ?? 0) + targets.length > CONFIRMATIONS_PER_ADDRESS_PER_HOUR) {
    throw new RateLimitedError(
      'This address was asked for too often in the last hour. Check its inbox, or try again later.',
      3600,
    );
  }
  await tx
    .delete(subscriptionRequests)
    .where(lt(subscriptionRequests.requestedAt, new Date(now.getTime() - 24 * 3600_000)));
  for (const target of targets)
    await tx
      .insert(subscriptionRequests)
      .values({ id: newId(), email, listId: target, requestedAt: now });
}
