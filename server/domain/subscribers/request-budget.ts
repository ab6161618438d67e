import { and, count, eq, gt, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { subscriptionRequests } from '../../../db/schema/index.ts';
import { RateLimitedError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { mailboxDomain, mailboxKey } from '../shared/mailbox.ts';

/**
 * Subscribe requests (one per list, or one per incident followed) for one address per hour,
 * whoever asks, whatever its state.
 */
export const CONFIRMATIONS_PER_ADDRESS_PER_HOUR = 5;

/**
 * Subscribe requests for all addresses at one domain per hour: many mailboxes of one company
 * cannot be used to flood its mail server either. Generous, because a real outage brings many
 * honest sign-ups from the big providers at once.
 */
export const CONFIRMATIONS_PER_DOMAIN_PER_HOUR = 200;

/**
 * Spends `targets.length` of the mailbox's and its domain's hourly budgets in the caller's
 * transaction, or throws RateLimitedError. The budget is the inbox's, not the literal address's
 * (`victim+1@`, `Victim@` and `v.ictim@gmail.com` reach one inbox: see mailboxKey), and
 * subscription_requests keeps that key. List subscriptions and incident follows share one
 * budget, so neither form can be used to flood an inbox with confirmation emails. Each target
 * is recorded as asked for whether or not a confirmation goes out, so a confirmed address is
 * answered like a new one. `targets` are list ids or, for a follow, incident ids
 * (subscription_requests.list_id).
 */
export async function spendRequestBudget(
  tx: DbOrTx,
  email: string,
  targets: string[],
  now: Date,
): Promise<void> {
  const since = new Date(now.getTime() - 3600_000);
  const key = mailboxKey(email);
  const [row] = await tx
    .select({ n: count() })
    .from(subscriptionRequests)
    .where(and(eq(subscriptionRequests.email, key), gt(subscriptionRequests.requestedAt, since)));
  if ((row?.n ?? 0) + targets.length > CONFIRMATIONS_PER_ADDRESS_PER_HOUR) {
    throw new RateLimitedError(
      'This address was asked for too often in the last hour. Check its inbox, or try again later.',
      3600,
    ).saying('refuse.addressTooOften');
  }
  const pattern = `%@${mailboxDomain(key).replace(/[\\%_]/g, (ch) => `\\${ch}`)}`;
  const [atDomain] = await tx
    .select({ n: count() })
    .from(subscriptionRequests)
    .where(
      and(
        sql`${subscriptionRequests.email} LIKE ${pattern} ESCAPE '\\'`,
        gt(subscriptionRequests.requestedAt, since),
      ),
    );
  if ((atDomain?.n ?? 0) + targets.length > CONFIRMATIONS_PER_DOMAIN_PER_HOUR) {
    throw new RateLimitedError(
      'Addresses at this domain were asked for too often in the last hour. Try again later.',
      3600,
    ).saying('refuse.domainTooOften');
  }
  await tx
    .delete(subscriptionRequests)
    .where(lt(subscriptionRequests.requestedAt, new Date(now.getTime() - 24 * 3600_000)));
  for (const target of targets)
    await tx
      .insert(subscriptionRequests)
      .values({ id: newId(), email: key, listId: target, requestedAt: now });
}
