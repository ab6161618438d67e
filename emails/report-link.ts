import type { RenderedEmail } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface ReportLinkEmailData {
  subject: string;
  pageName: string;
  /** The page with the report form; only its submit (a POST) files anything. */
  formUrl: string;
  /** "Dec 2, 2026, 11:00 UTC" */
  expiresAt: string;
}

export function renderReportLink(d: ReportLinkEmailData): RenderedEmail {
  return reportEmail({
    subject: d.subject,
    pageName: d.pageName,
    intro: `Someone (hopefully you) asked to file a report with the ${d.pageName} team from this address. The link opens the report form; it files one report and works until ${d.expiresAt}.`,
    blocks: [
      { text: 'If you did not ask for this, ignore this email: nothing is filed without you.' },
    ],
    action: { label: 'Open the report form', url: d.formUrl },
    why: 'You get this email because this address asked for a report link.',
  });
}
