import { and, desc, eq, inArray, isNull, lte, ne, or, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../../db/client.ts';
import { edgePurges } from '../../../db/schema/index.ts';
import { newId } from '../shared/ids.ts';

// The edge purge queue's reads and writes for the purger (a write queues its purge through
// shared/edge-purge-queue.ts). The purger (server/edge/) decides when and how to send; this
// file knows the table.

export interface ClaimedPurge {
  id: string;
  keys: string[];
  /** Target URLs still owed; null means every configured target. */
  targets: string[] | null;
  attempts: number;
}

/**
 * Claims due purges (or ones whose claim ran out) under a short lease, across processes. A
 * request whose fresh purge was claimed elsewhere waits for it (`edgePurgesInFlight`).
 */
export async function claimEdgePurges(
  db: Db,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<ClaimedPurge[]> {
  const t = now.getTime();
  const rows = await db.all<{ id: string; keys: string; targets: string | null; attempts: number }>(
    sql`
    UPDATE edge_purges SET claimed_until = ${t + leaseMs}
    WHERE id IN (
      SELECT id FROM edge_purges
      WHERE state = 'pending' AND next_attempt_at <= ${t}
        AND (claimed_until IS NULL OR claimed_until <= ${t})
      ORDER BY created_at LIMIT ${limit})
    RETURNING id, keys, targets, attempts`,
  );
  return rows.map((r) => ({
    id: r.id,
    keys: r.keys.split(' ').filter(Boolean),
    targets: r.targets === null ? null : (JSON.parse(r.targets) as string[]),
    attempts: r.attempts,
  }));
}

/** A cheap read: is anything due, so an idle loop costs no write transaction. */
export async function edgePurgesDue(db: Db, now: Date): Promise<boolean> {
  const t = now.getTime();
  const rows = await db.all<{ due: number }>(sql`
    SELECT EXISTS (SELECT 1 FROM edge_purges WHERE state = 'pending' AND next_attempt_at <= ${t}
      AND (claimed_until IS NULL OR claimed_until <= ${t})) AS due`);
  return Boolean(rows[0]?.due);
}

/**
 * Is a fresh purge being sent right now (claimed, not yet recorded)? A write whose purge another
 * request or process claimed first waits for it before answering.
 */
export async function edgePurgesInFlight(db: Db, now: Date): Promise<boolean> {
  const rows = await db.all<{ busy: number }>(sql`
    SELECT EXISTS (SELECT 1 FROM edge_purges WHERE state = 'pending' AND attempts = 0
      AND claimed_until > ${now.getTime()}) AS busy`);
  return Boolean(rows[0]?.busy);
}

export interface PurgeOutcome {
  id: string;
  keys: string[];
  attempts: number;
  /** Targets that took the purge. */
  done: string[];
  /** Targets that could not be reached (or answered 5xx): retried after `retryAt`. */
  retry: string[];
  retryAt: Date;
  /** Targets that refused it (4xx), with what they said: not retried. */
  rejected: { target: string; error: string }[];
  lastError: string | null;
}

/** Records what each target did with a claimed purge, in one transaction. */
export async function recordEdgePurgeOutcomes(
  db: Db,
  now: Date,
  outcomes: PurgeOutcome[],
): Promise<void> {
  if (outcomes.length === 0) return;
  const rejectedTarget = sql`json_extract(${edgePurges.targets}, '$[0]')`;
  await db.transaction(async (tx) => {
    // A target that takes a purge again is no longer behind: its old refusals are history. Only
    // the newest refusal per target is kept, so a misconfigured edge cannot grow the table.
    const settled = [
      ...new Set(outcomes.flatMap((o) => [...o.done, ...o.rejected.map((r) => r.target)])),
    ];
    if (settled.length > 0) {
      await tx
        .delete(edgePurges)
        .where(and(eq(edgePurges.state, 'rejected'), inArray(rejectedTarget, settled)));
    }
    for (const o of outcomes) {
      for (const r of o.rejected) {
        await tx.insert(edgePurges).values({
          id: newId(),
          keys: o.keys.join(' '),
          targets: [r.target],
          state: 'rejected',
          attempts: o.attempts + 1,
          nextAttemptAt: now,
          lastError: r.error,
          createdAt: now,
        });
      }
      // A purge of the same keys to the same edges already waiting covers this one too: while
      // an edge is down, its queue stays one row however many writes happen.
      const twin =
        o.retry.length > 0 &&
        (
          await tx
            .select({ id: edgePurges.id })
            .from(edgePurges)
            .where(
              and(
                eq(edgePurges.state, 'pending'),
                eq(edgePurges.keys, o.keys.join(' ')),
                sql`${edgePurges.targets} = ${JSON.stringify(o.retry)}`,
                isNull(edgePurges.claimedUntil),
                ne(edgePurges.id, o.id),
              ),
            )
            .limit(1)
        ).length > 0;
      if (o.retry.length === 0 || twin) {
        await tx.delete(edgePurges).where(eq(edgePurges.id, o.id));
      } else {
        await tx
          .update(edgePurges)
          .set({
            targets: o.retry,
            attempts: o.attempts + 1,
            nextAttemptAt: o.retryAt,
            claimedUntil: null,
            lastError: o.lastError,
          })
          .where(eq(edgePurges.id, o.id));
      }
    }
  });
}

/** Without purge targets nothing will ever send the queue: it is dropped as it fills. */
export async function dropEdgePurges(db: Db): Promise<void> {
  await db.delete(edgePurges).where(eq(edgePurges.state, 'pending'));
}

export interface EdgeStatus {
  /** Purges still owed to a reachable-again edge, and since when. */
  pending: number;
  oldestPendingAt: Date | null;
  lastError: string | null;
  /** Purges an edge refused (4xx), newest first. */
  rejected: { target: string; error: string; at: Date }[];
}

/** What the admin shows about the edge: behind (purges owed) or refusing purges. */
export async function readEdgeStatus(db: Db, now: Date, graceMs: number): Promise<EdgeStatus> {
  const pendingRows = await db
    .select({ createdAt: edgePurges.createdAt, lastError: edgePurges.lastError })
    .from(edgePurges)
    .where(
      and(
        eq(edgePurges.state, 'pending'),
        or(lte(edgePurges.createdAt, new Date(now.getTime() - graceMs)), sql`attempts > 0`),
      ),
    )
    .orderBy(edgePurges.createdAt)
    .limit(1000);
  const rejected = await db
    .select({
      targets: edgePurges.targets,
      lastError: edgePurges.lastError,
      at: edgePurges.createdAt,
    })
    .from(edgePurges)
    .where(eq(edgePurges.state, 'rejected'))
    .orderBy(desc(edgePurges.createdAt))
    .limit(5);
  return {
    pending: pendingRows.length,
    oldestPendingAt: pendingRows[0]?.createdAt ?? null,
    lastError: pendingRows.find((r) => r.lastError)?.lastError ?? null,
    rejected: rejected.map((r) => ({
      target: r.targets?.[0] ?? '',
      error: r.lastError ?? '',
      at: r.at,
    })),
  };
}
