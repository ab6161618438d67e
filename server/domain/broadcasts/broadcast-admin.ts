import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { idInput } from '../shared/inputs.ts';
import { broadcasts, deliveries, lists, subscribers } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { NotFoundError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';

export interface BroadcastProgress {
  id: string;
  kind: string;
  subject: string;
  incidentId: string | null;
  isDrill: boolean;
  createdAt: string;
  total: number;
  queued: number;
  sent: number;
  failed: number;
  skipped: number;
  done: boolean;
}

async function counts(db: DomainDeps['db'], ids: string[]) {
  if (ids.length === 0) return new Map<string, Record<string, number>>();
  const rows = await db
    .select({ id: deliveries.broadcastId, state: deliveries.state, n: sql<number>`count(*)` })
    .from(deliveries)
    .where(inArray(deliveries.broadcastId, ids))
    .groupBy(deliveries.broadcastId, deliveries.state);
  const out = new Map<string, Record<string, number>>();
  for (const r of rows) out.set(r.id, { ...out.get(r.id), [r.state]: r.n });
  return out;
}

function progress(
  b: typeof broadcasts.$inferSelect,
  c: Record<string, number> = {},
): BroadcastProgress {
  const queued = (c.pending ?? 0) + (c.sending ?? 0);
  return {
    id: b.id,
    kind: b.kind,
    subject: b.subject,
    incidentId: b.incidentId,
    isDrill: b.isDrill,
    createdAt: b.createdAt.toISOString(),
    total: b.total,
    queued,
    sent: c.sent ?? 0,
    failed: c.failed ?? 0,
    skipped: c.skipped ?? 0,
    done: queued === 0,
  };
}

/** Recent broadcasts with their progress (queued, sent, failed of total). */
export async function readBroadcasts(
  deps: DomainDeps,
  opts: { limit?: number; incidentId?: string } = {},
) {
  const rows = await deps.db
    .select()
    .from(broadcasts)
    .where(opts.incidentId ? eq(broadcasts.incidentId, opts.incidentId) : undefined)
    .orderBy(desc(broadcasts.createdAt))
    .limit(Math.min(opts.limit ?? 50, 200));
  const c = await counts(
    deps.db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => progress(r, c.get(r.id)));
}

/** One broadcast's progress and its failed deliveries with the SMTP server's reasons. */
export async function readBroadcast(deps: DomainDeps, id: string) {
  const [b] = await deps.db.select().from(broadcasts).where(eq(broadcasts.id, id));
  if (!b) throw new NotFoundError('broadcast', id);
  const c = await counts(deps.db, [b.id]);
  const failed = await deps.db
    .select({
      id: deliveries.id,
      email: subscribers.email,
      listName: lists.name,
      attempts: deliveries.attempts,
      lastError: deliveries.lastError,
    })
    .from(deliveries)
    .innerJoin(subscribers, eq(subscribers.id, deliveries.subscriberId))
    .innerJoin(lists, eq(lists.id, subscribers.listId))
    .where(and(eq(deliveries.broadcastId, b.id), eq(deliveries.state, 'failed')))
    .limit(500);
  return { broadcast: progress(b, c.get(b.id)), failed };
}

export const retryInput = z.strictObject({
  broadcastId: idInput,
  deliveryIds: z.array(idInput).max(10_000).optional(),
});

/** Puts failed deliveries (all of a broadcast's, or the named ones) back in the queue. */
export async function retryFailedDeliveries(
  deps: DomainDeps,
  raw: z.input<typeof retryInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const input = parseInput(retryInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [b] = await tx
      .select({ id: broadcasts.id })
      .from(broadcasts)
      .where(eq(broadcasts.id, input.broadcastId));
    if (!b) throw new NotFoundError('broadcast', input.broadcastId);
    const res = await tx
      .update(deliveries)
      .set({ state: 'pending', attempts: 0, nextAttemptAt: now, leaseUntil: null })
      .where(
        and(
          eq(deliveries.broadcastId, b.id),
          eq(deliveries.state, 'failed'),
          input.deliveryIds ? inArray(deliveries.id, input.deliveryIds) : undefined,
        ),
      );
    const retried = Number((res as { rowsAffected?: number }).rowsAffected ?? 0);
    await recordAudit(tx, actor, now, {
      action: 'broadcast.retry',
      objectType: 'broadcast',
      objectId: b.id,
      after: { retried },
    });
    return { retried };
  });
}
