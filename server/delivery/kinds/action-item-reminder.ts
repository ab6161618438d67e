import { renderActionItemReminder } from '../../../emails/action-item-reminder.ts';
import type { Db } from '../../../db/client.ts';
import type { PageContext } from '../../domain/broadcasts/send-context.ts';
import { readActionItemForReminder } from '../../domain/record/record-views.ts';
import { formatShort } from '../../domain/shared/zoned-time.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';
import { emailKind } from './email-kind.ts';

declare module '../../domain/outbox/enqueue-message.ts' {
  interface OutboxPayloads {
    /** An action item's owner: a day before its due date, or once it has passed. */
    action_item_reminder: { actionItemId: string; reminder: 'before' | 'overdue'; dueAt: string };
  }
}

/**
 * An action item's reminder, rendered when it is sent; null (skipped) when the item was closed
 * or given a new due date meanwhile (the new date earns its own reminders).
 */
export async function composeActionItemReminder(
  db: Db,
  page: PageContext,
  to: string,
  payload: { actionItemId: string; reminder: 'before' | 'overdue'; dueAt: string },
  messageId: string,
): Promise<OutgoingMail | null> {
  const found = await readActionItemForReminder(db, payload.actionItemId);
  if (!found || found.item.state !== 'open') return null;
  if (found.item.dueAt.toISOString() !== payload.dueAt) return null;
  const rendered = renderActionItemReminder({
    pageName: page.name,
    reminder: payload.reminder,
    title: found.item.title,
    kind: found.item.kind,
    incidentTitle: found.incidentTitle,
    priority: found.priority,
    isDrill: found.isDrill,
    dueAt: formatShort(found.item.dueAt, page.timeZone),
    incidentUrl: `${page.url}/admin/incidents/${found.item.incidentId}#record`,
  });
  return { to, ...rendered, messageId };
}

export const actionItemKinds = {
  action_item_reminder: emailKind<'action_item_reminder'>((ctx, m) =>
    composeActionItemReminder(ctx.db, ctx.page, m.toAddress, m.payload, m.messageId),
  ),
};
