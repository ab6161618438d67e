import { renderPromiseReminder } from '../../../emails/promise-reminder.ts';
import { type PageContext, readIncident } from '../../domain/broadcasts/send-context.ts';
import { holdingLine, promiseState } from '../../domain/incidents/promise.ts';
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
 * Sent after the promise lapsed, it says so and how long ago. Emails show UTC.
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
    minutesLeft: minutesLeft(promiseState(inc, now)),
    holdingUrl: holdingUrl(page.url, inc.id),
    incidentUrl: `${page.url}/admin/incidents/${inc.id}`,
    // Worded for the status; the holding page it links to names the promise it will make.
    holdingBody: holdingLine(inc.status),
  });
  return { to, ...rendered, messageId };
}

/**
 * Whole minutes until the promise lapses, at least 1 while it has not; zero or less once it
 * has (the relay was down, or Herald was when it fell due): minus the minutes since.
 */
function minutesLeft({ state, msLeft }: ReturnType<typeof promiseState>): number {
  const ms = msLeft ?? 0;
  return state === 'overdue' ? -Math.round(-ms / 60_000) : Math.max(1, Math.round(ms / 60_000));
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
