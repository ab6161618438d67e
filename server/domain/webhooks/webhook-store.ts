import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { users, webhookDeliveries, webhooks } from '../../../db/schema/index.ts';
import type { Config } from '../../config.ts';
import { enqueueMessage } from '../broadcasts/enqueue-message.ts';
import type { ClaimedWebhookDelivery } from './webhook-send-context.ts';

// The webhook lane's reads and writes, on the same pattern as the email outbox: rows claimed
// under a lease with one UPDATE ... RETURNING (several processes share the work; a crashed
// worker's rows come back when the lease runs out), outcomes recorded in one transaction.

/** After this many failed attempts in a row, a webhook is paused and the admins are told. */
export const PAUSE_AFTER_FAILURES = 20;

export type WebhookResult =
  | { ok: true; status: number }
  | { ok: false; permanent: boolean; status: number | null; error: string }
  | { skipped: true; error: string };

export interface WebhookOutcome {
  id: string;
  webhookId: string | null;
  attempts: number;
  result: WebhookResult;
}

export async function anyWebhookDue(db: Db, now: Date): Promise<boolean> {
  const t = now.getTime();
  const rows = await db.all<{ due: number }>(sql`
    SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ${t})
        OR EXISTS (SELECT 1 FROM webhook_deliveries WHERE state = 'sending' AND lease_until <= ${t}) AS due`);
  return Boolean(rows[0]?.due);
}

export async function claimWebhookDeliveries(
  db: Db,
  now: Date,
  limit: number,
  leaseMs: number,
  onlyId?: string,
): Promise<ClaimedWebhookDelivery[]> {
  const t = now.getTime();
  const which = onlyId
    ? sql`SELECT id FROM webhook_deliveries WHERE id = ${onlyId} AND state = 'pending'`
    : sql`SELECT id FROM webhook_deliveries
          WHERE (state = 'pending' AND next_attempt_at <= ${t})
             OR (state = 'sending' AND lease_until <= ${t})
          ORDER BY next_attempt_at LIMIT ${limit}`;
  return db.transaction((tx) =>
    tx.all<ClaimedWebhookDelivery>(sql`
      UPDATE webhook_deliveries SET state = 'sending', lease_until = ${t + leaseMs}, attempts = attempts + 1
      WHERE id IN (${which})
      RETURNING id, webhook_id, event, ref, attempts`),
  );
}

/**
 * Records a batch of outcomes. A temporary failure goes back to pending at `retryAt`, until
 * `maxAttempts`; every failed attempt counts towards the webhook's consecutive failures and a
 * success resets them. Returns the webhooks this batch paused.
 */
export async function recordWebhookOutcomes(
  db: Db,
  outcomes: WebhookOutcome[],
  now: Date,
  rules: { maxAttempts: number; retryAt: (now: Date, attempts: number) => Date },
): Promise<{ id: string; url: string }[]> {
  if (outcomes.length === 0) return [];
  return db.transaction(async (tx) => {
    const paused: { id: string; url: string }[] = [];
    for (const o of outcomes) {
      const r = o.result;
      const mine = and(eq(webhookDeliveries.id, o.id), eq(webhookDeliveries.state, 'sending'));
      if ('skipped' in r) {
        await tx
          .update(webhookDeliveries)
          .set({ state: 'skipped', leaseUntil: null, lastError: r.error })
          .where(mine);
        continue;
      }
      if (r.ok) {
        await tx
          .update(webhookDeliveries)
          .set({
            state: 'sent',
            sentAt: now,
            leaseUntil: null,
            lastStatus: r.status,
            lastError: null,
          })
          .where(mine);
        if (o.webhookId)
          await tx
            .update(webhooks)
            .set({ consecutiveFailures: 0 })
            .where(eq(webhooks.id, o.webhookId));
        continue;
      }
      const giveUp = r.permanent || o.attempts >= rules.maxAttempts;
      await tx
        .update(webhookDeliveries)
        .set(
          giveUp
            ? {
                state: 'failed',
                leaseUntil: null,
                lastStatus: r.status,
                lastError: r.permanent
                  ? r.error
                  : `gave up after ${o.attempts} attempts: ${r.error}`,
              }
            : {
                state: 'pending',
                leaseUntil: null,
                lastStatus: r.status,
                lastError: r.error,
                nextAttemptAt: rules.retryAt(now, o.attempts),
              },
        )
        .where(mine);
      if (!o.webhookId) continue;
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
        paused.push({ id: w.id, url: w.url });
      }
    }
    return paused;
  });
}

/** Queues a pre-rendered email to every active admin. */
export async function emailAdmins(
  db: Db,
  config: Pick<Config, 'publicUrl'>,
  mail: { subject: string; text: string; html: string },
  now: Date,
): Promise<number> {
  const admins = await db
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.role, 'admin'), isNull(users.disabledAt)));
  await db.transaction(async (tx) => {
    for (const a of admins)
      await enqueueMessage(tx, config, { kind: 'test', to: a.email, payload: mail }, now);
  });
  return admins.length;
}
