import type { Translator } from '../server/i18n/catalogue.ts';
import type { RenderedEmail } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface ReportFollowEmailData {
  /** The reporter's language: every fixed text of the mail is said in it. */
  tr: Translator;
  subject: string;
  pageName: string;
  incidentTitle: string;
  status: string;
  body: string;
  incidentUrl: string;
}

/** An update of the incident a report became part of, to its reporter. */
export function renderReportFollow(d: ReportFollowEmailData): RenderedEmail {
  const { t } = d.tr;
  return reportEmail({
    subject: d.subject,
    pageName: d.pageName,
    intro: t('mail.reportFollowIntro', { title: d.incidentTitle, status: d.status }),
    blocks: [{ text: d.body }],
    action: { label: t('mail.reportSeeIncident'), url: d.incidentUrl },
    why: t('mail.reportFollowWhy'),
    footer: (why) => t('mail.reportFooter', { page: d.pageName, why }),
    lang: d.tr.lang,
  });
}
