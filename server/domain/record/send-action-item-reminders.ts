import { and, eq, gt, isNull, lte, sql } from 'drizzle-orm';
import { actionItems } from '../../../db/schema/index.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';
import { readActiveAddress } from '../users/active-user.ts';
import type { DomainDeps } from '../shared/deps.ts';

const DAY = 24 * 60 * 60_000;

export interface ActionItemReminder {
  actionItemId: string;
  reminder: 'before' | 'overdue';
  sentTo: string | null;
}

/**
 * Owners of open action items get two reminders, once each: a day before the due date (only
 * for items given more than a day, so a "by 14:20" item from the fire is not nagged at once),
 * and when the date has passed. Each is claimed by a conditional UPDATE of its own column in
 * the transaction that queues the email, so no process sends one twice; a new due date clears
 * both (updateActionItem).
 */
export async function sendActionItemReminders(deps: DomainDeps): Promise<ActionItemReminder[]> {
  const now = deps.clock.now();
  const out: ActionItemReminder[] = [];
  const before = await deps.db
    .select({ id: actionItems.id, dueAt: actionItems.dueAt })
    .from(actionItems)
    .where(
      and(
        eq(actionItems.state, 'open'),
        isNull(actionItems.reminderBeforeAt),
        lte(actionItems.dueAt, new Date(now.getTime() + DAY)),
        gt(actionItems.dueAt, now),
        lte(actionItems.createdAt, sql`${actionItems.dueAt} - ${DAY}`),
      ),
    );
  const overdue = await deps.db
    .select({ id: actionItems.id, dueAt: actionItems.dueAt })
    .from(actionItems)
    .where(
      and(
        eq(actionItems.state, 'open'),
        isNull(actionItems.reminderOverdueAt),
        lte(actionItems.dueAt, now),
      ),
    );
  const jobs = [
    ...before.map((i) => ({ ...i, reminder: 'before' as const })),
    ...overdue.map((i) => ({ ...i, reminder: 'overdue' as const })),
  ];
  for (const job of jobs) {
    const column =
      job.reminder === 'before' ? actionItems.reminderBeforeAt : actionItems.reminderOverdueAt;
    const r = await deps.db.transaction(async (tx) => {
      const [item] = await tx
        .update(actionItems)
        .set(job.reminder === 'before' ? { reminderBeforeAt: now } : { reminderOverdueAt: now })
        .where(
          and(
            eq(actionItems.id, job.id),
            isNull(column),
            eq(actionItems.state, 'open'),
            eq(actionItems.dueAt, job.dueAt),
          ),
        )
        .returning();
      if (!item) return null;
      const owner = await readActiveAddress(tx, item.ownerId);
      if (!owner) return { actionItemId: item.id, reminder: job.reminder, sentTo: null };
      await enqueueMessage(
        tx,
        deps.config,
        {
          kind: 'action_item_reminder',
          to: owner,
          payload: {
            actionItemId: item.id,
            reminder: job.reminder,
            dueAt: item.dueAt.toISOString(),
          },
        },
        now,
      );
      return { actionItemId: item.id, reminder: job.reminder, sentTo: owner };
    });
    if (r) out.push(r);
  }
  return out;
}
