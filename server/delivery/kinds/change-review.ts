import type { Db } from '../../../db/client.ts';
import { renderChangeReviewRequest } from '../../../emails/change-review-request.ts';
import type { PageContext } from '../../domain/broadcasts/send-context.ts';
import { readChangeForReview } from '../../domain/record/record-views.ts';
import { formatShort } from '../../domain/shared/zoned-time.ts';
import type { OutgoingMail } from '../../mail/outgoing-mail.ts';
import { emailKind } from './email-kind.ts';

declare module '../../domain/outbox/enqueue-message.ts' {
  interface OutboxPayloads {
    /** The person named to review a logged database change: please confirm or object. */
    change_review_request: { changeId: string };
  }
}

/** The reviewer's request; skipped once the change is reviewed (nothing left to ask). */
export async function composeChangeReviewMail(
  db: Db,
  page: PageContext,
  m: { toAddress: string; payload: object; messageId: string },
  now: Date,
): Promise<OutgoingMail | null> {
  if (!('changeId' in m.payload) || typeof m.payload.changeId !== 'string') return null;
  const found = await readChangeForReview(db, m.payload.changeId, now);
  if (!found) return null;
  const { incident, change: c } = found;
  const rendered = renderChangeReviewRequest({
    pageName: page.name,
    incidentTitle: incident.title,
    priority: incident.priority,
    isDrill: incident.isDrill,
    what: c.what,
    target: c.target,
    ranBy: c.ranByName,
    loggedBy: c.authorLabel,
    ranAt: formatShort(c.ranAt, page.timeZone),
    backupTaken: c.backupTaken,
    recordsTouched: c.recordsTouched,
    triedOnSample: c.triedOnSample,
    incidentUrl: `${page.url}/admin/incidents/${incident.id}#change-${c.id}`,
  });
  return { ...rendered, to: m.toAddress, messageId: m.messageId };
}

export const changeReviewKinds = {
  change_review_request: emailKind<'change_review_request'>((ctx, m) =>
    composeChangeReviewMail(ctx.db, ctx.page, m, ctx.now),
  ),
};
