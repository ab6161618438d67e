import type { RenderedEmail } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface ReportAlertEmailData {
  subject: string;
  pageName: string;
  intro: string;
  reporter: string;
  whatHappened: string;
  affected: string;
  reason: string | null;
  triageUrl: string;
}

/** To staff: a new P0/P1 report, the half-time reminder, the overdue escalation, a reporter's escalation. */
export function renderReportAlert(d: ReportAlertEmailData): RenderedEmail {
  return reportEmail({
    subject: d.subject,
    pageName: d.pageName,
    intro: d.intro,
    blocks: [
      { heading: 'Reported by', text: d.reporter },
      { heading: 'What happened', text: d.whatHappened },
      { heading: 'Who is affected', text: d.affected },
      ...(d.reason ? [{ heading: 'The reporter says', text: d.reason }] : []),
    ],
    action: { label: 'Decide now', url: d.triageUrl },
    why: 'You get this email because you are on duty or the final authority for triage (with nobody on duty, every admin is told).',
  });
}
