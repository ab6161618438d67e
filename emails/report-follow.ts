import type { RenderedEmail } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface ReportFollowEmailData {
  subject: string;
  pageName: string;
  incidentTitle: string;
  status: string;
  body: string;
  incidentUrl: string;
}

/** An update of the incident a report became part of, to its reporter. */
export function renderReportFollow(d: ReportFollowEmailData): RenderedEmail {
  return reportEmail({
    subject: d.subject,
    pageName: d.pageName,
    intro: `An update on "${d.incidentTitle}", the incident your report is part of. Status: ${d.status}.`,
    blocks: [{ text: d.body }],
    action: { label: 'See the incident', url: d.incidentUrl },
    why: 'You get this email because your report is part of this incident.',
  });
}
