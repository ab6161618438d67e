import type { Translator } from '../server/i18n/catalogue.ts';
import type { RenderedEmail } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface ReportDecisionEmailData {
  /** The reporter's language: every fixed text of the mail is said in it. */
  tr: Translator;
  subject: string;
  pageName: string;
  /** "The team re-rated your report from P1 to P2." */
  decision: string;
  reason: string | null;
  /** What the reporter can do next, e.g. escalate a re-rating once. */
  next: string | null;
  whatHappened: string;
  statusUrl: string;
}

/** Sent to the reporter on every decision, with the reason the PM gave. */
export function renderReportDecision(d: ReportDecisionEmailData): RenderedEmail {
  const { t } = d.tr;
  return reportEmail({
    subject: d.subject,
    pageName: d.pageName,
    intro: d.decision,
    blocks: [
      ...(d.reason ? [{ heading: t('mail.reportWhyHeading'), text: d.reason }] : []),
      ...(d.next ? [{ text: d.next }] : []),
      { heading: t('mail.reportYours'), text: d.whatHappened },
    ],
    action: { label: t('mail.reportOpenAction'), url: d.statusUrl },
    why: t('mail.reportFiledWhy'),
    footer: (why) => t('mail.reportFooter', { page: d.pageName, why }),
    lang: d.tr.lang,
  });
}
