import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { deliveries, outboxMessages } from '../../../db/schema/index.ts';

// The outbox's own reads and writes: claiming rows under a lease and recording what the relay
// said. The worker in jobs/ decides when; this file knows the tables.

export type OutboxTable = 'deliveries' | 'messages';

export interface ClaimedDelivery {
  id: string;
  broadcast_id: string;
  subscriber_id: string;
  message_id: string;
  attempts: number;
}

export interface ClaimedMessage {
  id: string;
  kind: string;
  to_address: string;
  payload: string;
  message_id: string;
  attempts: number;
}

export type SendResult =
  | { ok: true; messageId: string }
  | { ok: false; permanent: boolean; error: string }
  | { skipped: true };

export interface Outcome {
  id: string;
  result: SendResult;
  attempts: number;
}

/**
 * A read (no write lock in WAL mode) that tells whether a claim would find anything, so idle
 * polling costs no write transactions.
 */
export async function anythingDue(db: Db, now: Date): Promise<boolean> {
  const t = now.getTime();
  const rows = await db.all<{ due: number }>(sql`
    SELECT EXISTS (SELECT 1 FROM outbox_messages WHERE state = 'pending' AND next_attempt_at <= ${t})
        OR EXISTS (SELECT 1 FROM outbox_messages WHERE state = 'sending' AND lease_until <= ${t})
        OR EXISTS (SELECT 1 FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ${t})
        OR EXISTS (SELECT 1 FROM deliveries WHERE state = 'sending' AND lease_until <= ${t}) AS due`);
  return Boolean(rows[0]?.due);
}

/** Claims up to `limit` due deliveries (or ones whose lease ran out) in one UPDATE … RETURNING. */
export async function claimDeliveries(
  db: Db,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<ClaimedDelivery[]> {
  // In a transaction only to queue behind this process's other writers (see db/client.ts).
  return db.transaction((tx) =>
    tx.all<ClaimedDelivery>(sql`
    UPDATE deliveries SET state = 'sending', lease_until = ${now.getTime() + leaseMs}, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM deliveries
      WHERE (state = 'pending' AND next_attempt_at <= ${now.getTime()})
         OR (state = 'sending' AND lease_until <= ${now.getTime()})
      LIMIT ${limit})
    RETURNING id, broadcast_id, subscriber_id, message_id, attempts`),
  );
}

/** Claims single messages, oldest first: people wait for their confirmation link. */
export async function claimMessages(
  db: Db,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<ClaimedMessage[]> {
  return db.transaction((tx) =>
    tx.all<ClaimedMessage>(sql`
    UPDATE outbox_messages SET state = 'sending', lease_until = ${now.getTime() + leaseMs}, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM outbox_messages
      WHERE (state = 'pending' AND next_attempt_at <= ${now.getTime()})
         OR (state = 'sending' AND lease_until <= ${now.getTime()})
      ORDER BY created_at
      LIMIT ${limit})
    RETURNING id, kind, to_address, payload, message_id, attempts`),
  );
}

/**
 * Writes every outcome of a batch in one transaction. A failure that is temporary goes back to
 * pending with `retryAt(attempts)`; past `maxAttempts`, or permanent, it is failed for good.
 */
export async function recordOutcomes(
  db: Db,
  which: OutboxTable,
  outcomes: Outcome[],
  now: Date,
  rules: { maxAttempts: number; retryAt: (now: Date, attempts: number) => Date },
): Promise<void> {
  if (outcomes.length === 0) return;
  const table = which === 'deliveries' ? deliveries : outboxMessages;
  await db.transaction(async (tx) => {
    const sent = outcomes.filter((o) => 'ok' in o.result && o.result.ok).map((o) => o.id);
    if (sent.length) {
      await tx
        .update(table)
        .set({ state: 'sent', sentAt: now, leaseUntil: null, lastError: null })
        .where(and(inArray(table.id, sent), eq(table.state, 'sending')));
    }
    const skipped = outcomes.filter((o) => 'skipped' in o.result).map((o) => o.id);
    if (skipped.length) {
      await tx
        .update(table)
        .set({ state: 'skipped', leaseUntil: null })
        .where(and(inArray(table.id, skipped), eq(table.state, 'sending')));
    }
    for (const o of outcomes) {
      const r = o.result;
      if (!('ok' in r) || r.ok) continue;
      const giveUp = r.permanent || o.attempts >= rules.maxAttempts;
      await tx
        .update(table)
        .set(
          giveUp
            ? {
                state: 'failed',
                leaseUntil: null,
                lastError: r.permanent
                  ? r.error
                  : `gave up after ${o.attempts} attempts: ${r.error}`,
              }
            : {
                state: 'pending',
                leaseUntil: null,
                lastError: r.error,
                nextAttemptAt: rules.retryAt(now, o.attempts),
              },
        )
        .where(and(eq(table.id, o.id), eq(table.state, 'sending')));
    }
  });
}
