import type { MessageIdConfig } from '../outbox/message-id.ts';
import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { broadcasts, incidentComponents, incidents } from '../../../db/schema/index.ts';
import { chosenAudienceIds, listReading, readAudienceAwareLists } from '../lists/list-reading.ts';
import { newId } from '../shared/ids.ts';
import { queueDeliveries } from './queue-deliveries.ts';
import { headerText, DRILL_MARK } from '../shared/subjects.ts';
import { translatorFor } from '../../i18n/catalogue.ts';
import type { Language } from '../../i18n/languages.ts';

/** Emails about an incident after its all-clear, rendered at send time from what they name. */
export const incidentNoticeKinds = ['incident_postmortem', 'incident_follow_up'] as const;
export type IncidentNoticeKind = (typeof incidentNoticeKinds)[number];

export const isIncidentNoticeKind = (k: string): k is IncidentNoticeKind =>
  (incidentNoticeKinds as readonly string[]).includes(k);

/** `PRIORITY 0 ISSUE POST-MORTEM: WEBSITE IS DOWN`, `PRIORITY 0 ISSUE FOLLOW-UP: ...`. */
export function incidentNoticeSubject(
  kind: IncidentNoticeKind,
  d: { priority: number; title: string; isDrill: boolean },
): string {
  const what = kind === 'incident_postmortem' ? 'ISSUE POST-MORTEM' : 'ISSUE FOLLOW-UP';
  return `${d.isDrill ? `${DRILL_MARK} ` : ''}PRIORITY ${d.priority} ${what}: ${headerText(d.title).toUpperCase()}`;
}

/**
 * One list's subject for a post-mortem or follow-up, used by the mail and by the publish review:
 * internal lists get the team's `PRIORITY 0 ISSUE POST-MORTEM: ...`; every other list hears no
 * priority ("Post-mortem: Website is down", "Follow-up: ..."), in the reader's language unless
 * the list keeps its subjects in English.
 */
export function incidentNoticeListSubject(
  kind: IncidentNoticeKind,
  list: { isInternal: boolean; subjectsInEnglish?: boolean },
  d: { priority: number; title: string; isDrill: boolean },
  readerLang: Language,
): string {
  if (list.isInternal) return incidentNoticeSubject(kind, d);
  const { t } = translatorFor(list.subjectsInEnglish ? 'en' : readerLang);
  const title = headerText(d.title);
  const words =
    kind === 'incident_postmortem'
      ? `${t('mail.noticeHeadline', { kind: 'postmortem' })}: ${title}`
      : t('mail.followUpSubject', { title });
  return `${d.isDrill ? `${DRILL_MARK} ` : ''}${headerText(words)}`;
}

/**
 * Who a post-mortem or follow-up email goes to: every list that may receive the incident
 * (`listReading`: its priority, drill lists for a drill, an audience's lists when it sees the
 * incident), filtered by the incident's components. The publish preview counts the same
 * recipients the broadcast then queues.
 */
export async function incidentNoticeRecipients(
  tx: DbOrTx,
  incident: { id: string; isDrill: boolean; priority: number; audienceOnly: boolean },
) {
  const affected = await tx
    .select({ id: incidentComponents.componentId })
    .from(incidentComponents)
    .where(eq(incidentComponents.incidentId, incident.id));
  const componentIds = affected.map((a) => a.id);
  const chosen = incident.audienceOnly ? await chosenAudienceIds(tx, incident.id) : [];
  const lists = (await readAudienceAwareLists(tx)).filter(
    (l) =>
      listReading(l, {
        isDrill: incident.isDrill,
        priority: incident.priority,
        componentIds,
        audienceOnly: incident.audienceOnly,
        chosenAudienceIds: chosen,
      }) !== null,
  );
  return { lists, listIds: lists.map((l) => l.id), componentIds };
}

/**
 * The broadcast of a post-mortem or follow-up and one delivery per recipient, in the caller's
 * transaction. The audience is the incident's: every list that receives its priority (drill
 * lists for a drill), filtered by component like its updates.
 */
export async function enqueueIncidentNotice(
  tx: DbOrTx,
  config: MessageIdConfig,
  n: { incidentId: string; kind: IncidentNoticeKind },
  now: Date,
): Promise<{ broadcastId: string; total: number } | null> {
  const [incident] = await tx.select().from(incidents).where(eq(incidents.id, n.incidentId));
  if (!incident) return null;
  const { listIds, componentIds } = await incidentNoticeRecipients(tx, incident);
  if (listIds.length === 0) return null;
  const broadcastId = newId();
  await tx.insert(broadcasts).values({
    id: broadcastId,
    kind: n.kind,
    incidentId: incident.id,
    updateId: null,
    subject: incidentNoticeSubject(n.kind, incident),
    isDrill: incident.isDrill,
    total: 0,
    createdAt: now,
  });
  const total = await queueDeliveries(tx, config, { broadcastId, listIds, componentIds }, now);
  return { broadcastId, total };
}
