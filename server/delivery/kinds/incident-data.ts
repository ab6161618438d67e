import type { IncidentEmailData } from '../../../emails/incident-update.ts';
import type { ComponentStatus, IncidentStatus } from '../../../db/schema/enums.ts';
import { translatorFor } from '../../i18n/catalogue.ts';
import { dateFormatsFor } from '../../i18n/dates.ts';
import type { Language } from '../../i18n/languages.ts';

/** What every recipient of one incident email shares; the list and its links differ. */
export type SharedIncidentEmailData = Omit<
  IncidentEmailData,
  'listName' | 'manageUrl' | 'unsubscribeUrl' | 'internalNote' | 'impactLabel' | 'subject'
>;

/**
 * The one builder of an incident email's data, used by the outbox at send time and by the
 * admin's preview before publishing, so the preview is the email; in the recipients' language.
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
  lang: Language = 'en',
): SharedIncidentEmailData {
  const { t } = translatorFor(lang);
  return {
    lang,
    pageName: page.name,
    priority: d.priority,
    title: d.title,
    isDrill: d.isDrill,
    statusLabel: t(`status.${d.status}`),
    affected: d.affected.map((a) => ({ name: a.name, status: t(`component.${a.status}`) })),
    body: d.body,
    nextUpdateBy: d.nextUpdateDueAt
      ? dateFormatsFor(lang).clock(d.nextUpdateDueAt, page.timeZone, now)
      : null,
    incidentUrl: d.incidentUrl,
  };
}
