import { renderPromiseReminder } from '../../../emails/promise-reminder.ts';
import { type PageContext, readIncident } from '../../domain/broadcasts/send-context.ts';
import { holdingLine } from '../../domain/incidents/promise.ts';
import { holdingUrl } from '../../domain/incidents/run-promises.ts';
import { formatClock } from '../../domain/shared/zoned-time.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';
import { emailKind } from './email-kind.ts';

declare module '../../domain/outbox/enqueue-message.ts' {
  interface OutboxPayloads {
    /** The owner's reminder before the promise it names (its due time) lapses. */
    promise_reminder: { incidentId: string; dueAt: string };
  }
}

/**
 * The owner's reminder, rendered when it is sent. Null (skipped) when the promise it is about
 * was answered or the incident resolved in the meantime: a reminder for a kept promise is noise.
 * Emails show UTC.
 */
export function composePromiseReminder(
  page: PageContext,
  inc: {
    id: string;
    title: string;
    priority: number;
    isDrill: boolean;
    status: string;
    nextUpdateDueAt: Date | null;
  } | null,
  to: string,
  payload: { incidentId: string; dueAt: string },
  messageId: string,
  now: Date,
): OutgoingMail | null {
  if (!inc || inc.status === 'resolved' || inc.nextUpdateDueAt?.toISOString() !== payload.dueAt)
    return null;
  const dueAt = inc.nextUpdateDueAt;
  const rendered = renderPromiseReminder({
    pageName: page.name,
    incidentTitle: inc.title,
    priority: inc.priority,
    isDrill: inc.isDrill,
    dueAt: formatClock(dueAt, 'Etc/UTC', now),
    minutesLeft: Math.max(1, Math.round((dueAt.getTime() - now.getTime()) / 60_000)),
    holdingUrl: holdingUrl(page.url, inc.id),
    incidentUrl: `${page.url}/admin/incidents/${inc.id}`,
    // Worded for the status; the holding page it links to names the promise it will make.
    holdingBody: holdingLine(inc.status),
  });
  return { to, ...rendered, messageId };
}

export const promiseReminderKinds = {
  promise_reminder: emailKind<'promise_reminder'>(async (ctx, m) =>
    composePromiseReminder(
      ctx.page,
      await readIncident(ctx.db, m.payload.incidentId),
      m.toAddress,
      m.payload,
      m.messageId,
      ctx.now,
    ),
  ),
};
