import type { IncidentEmailData } from '../../../emails/incident-update.ts';
import type { ComponentStatus, IncidentStatus } from '../../../db/schema/enums.ts';
import { formatClock } from '../../domain/shared/zoned-time.ts';
import { componentStatusLabels, statusLabel } from '../../domain/status/labels.ts';

/** What every recipient of one incident email shares; the list and its links differ. */
export type SharedIncidentEmailData = Omit<
  IncidentEmailData,
  'listName' | 'manageUrl' | 'unsubscribeUrl' | 'internalNote' | 'impactLabel' | 'subject'
>;

/**
 * The one builder of an incident email's data, used by the outbox at send time and by the
 * admin's preview before publishing, so the preview is the email.
 */
export function incidentEmailData(
  page: { name: string; timeZone: string },
  d: {
    priority: number;
    title: string;
    isDrill: boolean;
    status: IncidentStatus;
    affected: { name: string; status: ComponentStatus }[];
    body: string;
    nextUpdateDueAt: Date | null;
    incidentUrl: string;
  },
  now: Date,
): SharedIncidentEmailData {
  return {
    pageName: page.name,
    priority: d.priority,
    title: d.title,
    isDrill: d.isDrill,
    statusLabel: statusLabel(d.status),
    affected: d.affected.map((a) => ({ name: a.name, status: componentStatusLabels[a.status] })),
    body: d.body,
    nextUpdateBy: d.nextUpdateDueAt ? formatClock(d.nextUpdateDueAt, page.timeZone, now) : null,
    incidentUrl: d.incidentUrl,
  };
}
