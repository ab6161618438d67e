import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { incidents } from '../../db/schema/index.ts';
import { renderPromiseReminder } from '../../emails/promise-reminder.ts';
import { HOLDING_BODY } from '../domain/incidents/promise.ts';
import { holdingUrl } from '../domain/incidents/run-promises.ts';
import { formatClock } from '../domain/shared/time-format.ts';
import type { OutgoingMail } from '../mailer.ts';
import type { PageContext } from './compose.ts';

/**
 * The owner's reminder, rendered when it is sent. Null (skipped) when the promise it is about
 * was answered or the incident resolved in the meantime: a reminder for a kept promise is noise.
 * Emails show UTC.
 */
export async function composePromiseReminder(
  db: DbOrTx,
  page: PageContext,
  to: string,
  payload: { incidentId: string; dueAt: string },
  messageId: string,
  now: Date = new Date(),
): Promise<OutgoingMail | null> {
  const [inc] = await db.select().from(incidents).where(eq(incidents.id, payload.incidentId));
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
    holdingBody: HOLDING_BODY,
  });
  return { to, ...rendered, messageId };
}
