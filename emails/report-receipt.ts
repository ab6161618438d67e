import type { RenderedEmail } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface ReportReceiptEmailData {
  subject: string;
  pageName: string;
  kindLabel: string;
  priorityLabel: string;
  whatHappened: string;
  /** "Decision due by 12:30 UTC" for timeboxed reports, null otherwise. */
  decisionBy: string | null;
  statusUrl: string;
}

/** The receipt: what was filed, the priority picked, and the private status link. */
export function renderReportReceipt(d: ReportReceiptEmailData): RenderedEmail {
  return reportEmail({
    subject: d.subject,
    pageName: d.pageName,
    intro: `Thank you: your report reached the ${d.pageName} team. You picked ${d.priorityLabel}.${d.decisionBy ? ` ${d.decisionBy}.` : ''} You get an email on every decision about it.`,
    blocks: [
      { heading: 'Kind', text: d.kindLabel },
      { heading: 'What happened', text: d.whatHappened },
    ],
    action: { label: 'Follow your report', url: d.statusUrl },
    why: 'The link is private to you: do not forward this email.',
  });
}
