import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../../db/client.ts';
import { webhookDeliveries, webhooks } from '../../../db/schema/index.ts';
import type { Config } from '../../config.ts';
import { enqueueMessageToEach } from '../outbox/enqueue-message.ts';
import { readAdminAddresses } from '../users/on-duty.ts';
import type { ClaimedWebhookDelivery } from './webhook-send-context.ts';
import { jsonList } from '../shared/in-list.ts';
import { heldBy, type Lease } from '../shared/lease.ts';
import { visitorOwned } from './webhook-identity.ts';

// The webhook lane's reads and writes, on the same pattern as the email outbox: rows claimed
// under a lease with one UPDATE ... RETURNING (several processes share the work; a crashed
// worker's rows come back when the lease runs out), outcomes recorded in one transaction. Unlike
// email, a webhook's deliveries form an ordered queue: only its head is ever claimed.

/** After this many failed attempts in a row, a webhook is paused and the admins are told. */
export const PAUSE_AFTER_FAILURES = 20;

export type WebhookResult =
  | { ok: true; status: number }
  | { ok: false; permanent: boolean; status: number | null; error: string }
  | { skipped: true; error: string }
  | { released: true };

export interface WebhookOutcome {
  id: string;
  webhookId: string | null;
  attempts: number;
  result: WebhookResult;
  /**
   * The URL an event was posted to. A failure there after an admin gave the webhook another URL
   * (during the post) says nothing about the new one: the delivery is due again at once.
   */
  postedTo?: string;
}

/**
 * The oldest unfinished delivery of each webhook is its head; only a head is ever sent, so one
 * webhook gets one delivery at a time, in publish order, and a failing receiver holds back its
 * own queue only. Paused webhooks are probed too (their head, at the longest backoff): a success
 * resumes them.
 */
const heads = sql`
  SELECT (SELECT d.id FROM webhook_deliveries d
          WHERE d.webhook_id = w.id AND d.state IN ('pending', 'sending')
          ORDER BY d.created_at, d.rowid LIMIT 1) AS id
  FROM webhooks w`;
/**
 * A head is due when it is pending and its time has come, or held by a lane whose lease ran out;
 * a lane's claim (`taker`) passes over the heads it holds itself: their lease ran out only because
 * its heartbeat could not be written for a while, and it still posts them or hands them back.
 */
const headDue = (t: number, taker?: string) =>
  sql`((h.state = 'pending' AND h.next_attempt_at <= ${t}) OR (h.state = 'sending' AND h.lease_until <= ${t}${taker === undefined ? sql`` : sql` AND h.lease_owner IS NOT ${taker}`}))`;

export async function anyWebhookDue(db: Db, now: Date): Promise<boolean> {
  const t = now.getTime();
  const rows = await db.all<{ due: number }>(sql`
    SELECT EXISTS (SELECT 1 FROM webhook_deliveries h WHERE h.id IN (${heads}) AND ${headDue(t)}) AS due`);
  return Boolean(rows[0]?.due);
}

const claimedColumns = sql`id, webhook_id, event, ref, attempts, created_at`;

/**
 * Claims the due heads of up to `limit` webhooks in one UPDATE … RETURNING, so several processes
 * share the work and never send two deliveries of one webhook at once (a head in `sending` under
 * a live lease blocks its webhook). Every claim counts an attempt.
 */
export async function claimWebhookHeads(
  db: Db,
  now: Date,
  limit: number,
  lease: Lease,
): Promise<ClaimedWebhookDelivery[]> {
  const t = now.getTime();
  return claimWhere(
    db,
    t,
    lease,
    sql`id IN (SELECT h.id FROM webhook_deliveries h WHERE h.id IN (${heads}) AND ${headDue(t, lease.owner)}
                   ORDER BY h.created_at LIMIT ${limit})`,
  );
}

/** Claims one pending delivery by id (an admin's test, sent at once whatever the queue holds). */
export async function claimWebhookDelivery(
  db: Db,
  now: Date,
  id: string,
  lease: Lease,
): Promise<ClaimedWebhookDelivery[]> {
  return claimWhere(db, now.getTime(), lease, sql`id = ${id} AND state = 'pending'`);
}

/**
 * Takes the deliveries `which` selects for this process: `sending` under its lease until
 * `t + lease.ms`, one attempt more.
 */
function claimWhere(
  db: Db,
  t: number,
  lease: Lease,
  which: SQL,
): Promise<ClaimedWebhookDelivery[]> {
  return db.transaction((tx) =>
    tx.all<ClaimedWebhookDelivery>(sql`
      UPDATE webhook_deliveries
      SET state = 'sending', lease_until = ${t + lease.ms}, lease_owner = ${lease.owner}, attempts = attempts + 1
      WHERE ${which}
      RETURNING ${claimedColumns}`),
  );
}

/** The heartbeat: pushes the lease of deliveries `owner` still holds to `until`. */
export async function extendWebhookLeases(
  db: Db,
  ids: string[],
  until: Date,
  owner: string,
): Promise<void> {
  if (ids.length === 0) return;
  await db.transaction((tx) =>
    tx.run(sql`
      UPDATE webhook_deliveries SET lease_until = ${until.getTime()}
      WHERE ${heldBy(owner)} AND id IN ${jsonList(ids)}`),
  );
}

/**
 * A webhook a group of outcomes paused. `visitorOwned`: a visitor's (a follower of one incident, a
 * public sign-up), which its owner fixes through the manage link, not the team.
 */
export interface PausedWebhook {
  id: string;
  kind: (typeof webhooks.$inferSelect)['kind'];
  url: string;
  visitorOwned: boolean;
}

/**
 * Records a group of outcomes in one transaction; only rows the lane still holds change, so writing
 * a group twice is harmless. A temporary failure goes back to pending at `retryAt` and stays the
 * head of its webhook's queue (never given up: the queue behind it waits for it); every failed
 * attempt counts towards the webhook's consecutive failures, which pause it at
 * PAUSE_AFTER_FAILURES. A success resets them, resumes a paused webhook and makes its whole queue
 * due at once. `released` hands a row back untouched (a stop before it was sent). Returns the
 * webhooks this group paused.
 */
export async function recordWebhookOutcomes(
  db: Db,
  outcomes: WebhookOutcome[],
  now: Date,
  rules: { owner: string; retryAt: (now: Date, attempts: number) => Date },
): Promise<PausedWebhook[]> {
  if (outcomes.length === 0) return [];
  return db.transaction(async (tx) => {
    const paused: PausedWebhook[] = [];
    for (const o of outcomes) {
      const r = o.result;
      // Only a row this lane still holds (`heldBy`).
      const mine = and(
        eq(webhookDeliveries.id, o.id),
        eq(webhookDeliveries.state, 'sending'),
        eq(webhookDeliveries.leaseOwner, rules.owner),
      );
      if ('released' in r) {
        await tx
          .update(webhookDeliveries)
          .set({
            state: 'pending',
            leaseUntil: null,
            leaseOwner: null,
            attempts: sql`max(0, attempts - 1)`,
          })
          .where(mine);
        continue;
      }
      if ('skipped' in r) {
        await tx
          .update(webhookDeliveries)
          .set({ state: 'skipped', leaseUntil: null, leaseOwner: null, lastError: r.error })
          .where(mine);
        continue;
      }
      if (r.ok) {
        const done = await tx
          .update(webhookDeliveries)
          .set({
            state: 'sent',
            sentAt: now,
            leaseUntil: null,
            leaseOwner: null,
            lastStatus: r.status,
            lastError: null,
          })
          .where(mine)
          .returning({ id: webhookDeliveries.id });
        if (!o.webhookId || done.length === 0) continue;
        const [before] = await tx
          .select({ state: webhooks.state, failures: webhooks.consecutiveFailures })
          .from(webhooks)
          .where(eq(webhooks.id, o.webhookId));
        if (!before || (before.state === 'active' && before.failures === 0)) continue;
        await tx
          .update(webhooks)
          .set({ state: 'active', pausedAt: null, consecutiveFailures: 0 })
          .where(eq(webhooks.id, o.webhookId));
        await releaseQueue(tx, o.webhookId, now);
        continue;
      }
      if (o.webhookId && o.postedTo) {
        const [w] = await tx
          .select({ url: webhooks.url })
          .from(webhooks)
          .where(eq(webhooks.id, o.webhookId));
        if (w && w.url !== o.postedTo) {
          await tx
            .update(webhookDeliveries)
            .set({
              state: 'pending',
              leaseUntil: null,
              leaseOwner: null,
              attempts: sql`max(0, attempts - 1)`,
              nextAttemptAt: now,
              lastStatus: r.status,
              lastError: `${r.error} (at the URL before the change; the new URL gets it next)`,
            })
            .where(mine);
          continue;
        }
      }
      const failed = await tx
        .update(webhookDeliveries)
        .set(
          r.permanent
            ? {
                state: 'failed',
                leaseUntil: null,
                leaseOwner: null,
                lastStatus: r.status,
                lastError: r.error,
              }
            : {
                state: 'pending',
                leaseUntil: null,
                leaseOwner: null,
                lastStatus: r.status,
                lastError: r.error,
                nextAttemptAt: rules.retryAt(now, o.attempts),
              },
        )
        .where(mine)
        .returning({ id: webhookDeliveries.id });
      if (!o.webhookId || failed.length === 0) continue;
      const [w] = await tx
        .update(webhooks)
        .set({ consecutiveFailures: sql`${webhooks.consecutiveFailures} + 1` })
        .where(eq(webhooks.id, o.webhookId))
        .returning();
      if (w && w.state === 'active' && w.consecutiveFailures >= PAUSE_AFTER_FAILURES) {
        await tx
          .update(webhooks)
          .set({ state: 'paused', pausedAt: now })
          .where(eq(webhooks.id, w.id));
        const [owner] = await tx.all<{ visitor: number }>(
          sql`SELECT ${visitorOwned} AS visitor FROM webhooks w WHERE w.id = ${w.id}`,
        );
        paused.push({ id: w.id, kind: w.kind, url: w.url, visitorOwned: !!owner?.visitor });
      }
    }
    return paused;
  });
}

/** Makes every queued delivery of a webhook due now: a receiver that is back gets its queue. */
export async function releaseQueue(tx: DbOrTx, webhookId: string, now: Date): Promise<void> {
  await tx
    .update(webhookDeliveries)
    .set({ nextAttemptAt: now })
    .where(
      and(
        eq(webhookDeliveries.webhookId, webhookId),
        eq(webhookDeliveries.state, 'pending'),
        sql`${webhookDeliveries.nextAttemptAt} > ${now.getTime()}`,
      ),
    );
}

/** Queues a pre-rendered email to every active admin. */
export async function emailAdmins(
  db: Db,
  config: Pick<Config, 'publicUrl'>,
  mail: { subject: string; text: string; html: string },
  now: Date,
): Promise<number> {
  const admins = await readAdminAddresses(db);
  await db.transaction((tx) =>
    enqueueMessageToEach(tx, config, { kind: 'test', to: admins, payload: mail }, now),
  );
  return admins.length;
}
