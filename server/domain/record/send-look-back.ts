import { desc, eq } from 'drizzle-orm';
import { lookBacks } from '../../../db/schema/index.ts';
import { enqueueMessageToEach } from '../outbox/enqueue-message.ts';
import { readAdminAddresses } from '../users/on-duty.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { newId } from '../shared/ids.ts';
import { readLookBackFigures } from './look-back-figures.ts';

const DAY = 24 * 60 * 60_000;

/**
 * Every LOOK_BACK_DAYS, one review of the process to every active admin. The first pass only
 * writes a baseline, so a new install does not open with a review of nothing. A period ends
 * when the review is written (Herald down at the time: the period is longer, nothing is lost).
 */
export async function sendLookBack(
  deps: DomainDeps,
): Promise<{ lookBackId: string; recipients: number }[]> {
  const days = deps.config.lookBackDays;
  if (days === 0) return [];
  const now = deps.clock.now();
  const [last] = await deps.db.select().from(lookBacks).orderBy(desc(lookBacks.periodEnd)).limit(1);
  if (!last) {
    await deps.db
      .insert(lookBacks)
      .values({
        id: newId(),
        periodStart: new Date(now.getTime() - days * DAY),
        periodEnd: now,
        figures: null,
        sentAt: null,
        createdAt: now,
      })
      .onConflictDoNothing();
    return [];
  }
  if (last.periodEnd.getTime() + days * DAY > now.getTime()) return [];
  const r = await deps.db.transaction(async (tx) => {
    const figures = await readLookBackFigures(tx, last.periodEnd, now);
    const [row] = await tx
      .insert(lookBacks)
      .values({
        id: newId(),
        periodStart: last.periodEnd,
        periodEnd: now,
        figures,
        sentAt: now,
        createdAt: now,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) return null;
    const admins = await readAdminAddresses(tx);
    await enqueueMessageToEach(
      tx,
      deps.config,
      { kind: 'look_back', to: admins, payload: { lookBackId: row.id } },
      now,
    );
    return { lookBackId: row.id, recipients: admins.length };
  });
  return r ? [r] : [];
}

/** Past reviews, newest first, for the admin page and the email composer. */
export async function readLookBacks(deps: Pick<DomainDeps, 'db'>, id?: string) {
  const rows = await deps.db
    .select()
    .from(lookBacks)
    .where(id ? eq(lookBacks.id, id) : undefined)
    .orderBy(desc(lookBacks.periodEnd))
    .limit(50);
  return rows.filter((r) => r.sentAt !== null);
}
