import type { Translator } from '../server/i18n/catalogue.ts';
import type { RenderedEmail } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface ReportLinkEmailData {
  /** The reader's language: every fixed text of the mail is said in it. */
  tr: Translator;
  subject: string;
  pageName: string;
  /** The page with the report form; only its submit (a POST) files anything. */
  formUrl: string;
  /** "Dec 2, 2026, 11:00 UTC" */
  expiresAt: string;
}

export function renderReportLink(d: ReportLinkEmailData): RenderedEmail {
  const { t } = d.tr;
  return reportEmail({
    subject: d.subject,
    pageName: d.pageName,
    intro: t('mail.reportLinkIntro', { page: d.pageName, expires: d.expiresAt }),
    blocks: [{ text: t('mail.reportLinkIgnore') }],
    action: { label: t('mail.reportLinkAction'), url: d.formUrl },
    why: t('mail.reportLinkWhy'),
    footer: (why) => t('mail.reportFooter', { page: d.pageName, why }),
    lang: d.tr.lang,
  });
}
