import type { Translator } from '../server/i18n/catalogue.ts';
import type { RenderedEmail } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface ReportReceiptEmailData {
  /** The reporter's language: every fixed text of the mail is said in it. */
  tr: Translator;
  subject: string;
  pageName: string;
  kind: string;
  priority: number;
  whatHappened: string;
  /** "12:30 UTC" for timeboxed reports, null otherwise. */
  decisionBy: string | null;
  statusUrl: string;
}

/** The receipt: what was filed, the priority picked, and the private status link. */
export function renderReportReceipt(d: ReportReceiptEmailData): RenderedEmail {
  const { t } = d.tr;
  const picked = `P${d.priority} (${t('priority.meaning', { priority: d.priority })})`;
  return reportEmail({
    subject: d.subject,
    pageName: d.pageName,
    intro: t('mail.reportReceiptIntro', {
      page: d.pageName,
      priority: picked,
      timed: d.decisionBy ? 'yes' : 'no',
      time: d.decisionBy ?? '',
    }),
    blocks: [
      { heading: t('mail.reportKind'), text: t('rform.kind', { kind: d.kind }) },
      { heading: t('mail.reportWhat'), text: d.whatHappened },
    ],
    action: { label: t('mail.reportFollowAction'), url: d.statusUrl },
    why: t('mail.reportPrivate'),
    footer: (why) => t('mail.reportFooter', { page: d.pageName, why }),
    lang: d.tr.lang,
  });
}
