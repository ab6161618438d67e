import { eq } from 'drizzle-orm';
import type { Db } from '../../../db/client.ts';
import { incidentChanges } from '../../../db/schema/index.ts';
import { renderChangeReviewRequest } from '../../../emails/change-review-request.ts';
import type { PageContext } from '../../domain/broadcasts/send-context.ts';
import { readIncidentRecord } from '../../domain/record/record-views.ts';
import { loadIncident } from '../../domain/incidents/load-incident.ts';
import { formatShort } from '../../domain/shared/zoned-time.ts';
import type { OutgoingMail } from '../outgoing-mail.ts';

/** The reviewer's request; skipped once the change is reviewed (nothing left to ask). */
export async function composeChangeReviewMail(
  db: Db,
  page: PageContext,
  m: { toAddress: string; payload: object; messageId: string },
  now: Date,
): Promise<OutgoingMail | null> {
  if (!('changeId' in m.payload) || typeof m.payload.changeId !== 'string') return null;
  const changeId = m.payload.changeId;
  const [row] = await db
    .select({ incidentId: incidentChanges.incidentId })
    .from(incidentChanges)
    .where(eq(incidentChanges.id, changeId));
  if (!row) return null;
  const incident = await loadIncident(db, row.incidentId);
  const c = (await readIncidentRecord(db, row.incidentId, now)).changes.find(
    (x) => x.id === changeId,
  );
  if (!c || !c.reviewPending) return null;
  const rendered = renderChangeReviewRequest({
    pageName: page.name,
    incidentTitle: incident.title,
    priority: incident.priority,
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
