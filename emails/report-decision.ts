import type { RenderedEmail } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface ReportDecisionEmailData {
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
  return reportEmail({
    subject: d.subject,
    pageName: d.pageName,
    intro: d.decision,
    blocks: [
      ...(d.reason ? [{ heading: 'Why', text: d.reason }] : []),
      ...(d.next ? [{ text: d.next }] : []),
      { heading: 'Your report', text: d.whatHappened },
    ],
    action: { label: 'Open your report', url: d.statusUrl },
    why: 'You get this email because you filed this report.',
  });
}
