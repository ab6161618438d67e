import { DRILL_MARK } from '../server/domain/shared/subjects.ts';
import type { RenderedEmail } from './layout.ts';
import { headerText } from './layout.ts';
import { reportEmail } from './report-frame.ts';

export interface ChangeReviewRequestData {
  pageName: string;
  incidentTitle: string;
  priority: number;
  /** The incident is a drill: subject and body say so, as every drill mail does. */
  isDrill: boolean;
  what: string;
  target: string;
  ranBy: string;
  loggedBy: string;
  /** "Dec 6, 08:40 UTC". */
  ranAt: string;
  backupTaken: boolean;
  recordsTouched: number | null;
  triedOnSample: boolean;
  /** The incident's admin page, where the review is given (a POST; the link changes nothing). */
  incidentUrl: string;
}

/** To the reviewer a logged change names: look at it, then confirm or object on the page. */
export function renderChangeReviewRequest(d: ChangeReviewRequestData): RenderedEmail {
  const records = d.recordsTouched === null ? 'unknown' : d.recordsTouched.toLocaleString('en-US');
  return reportEmail({
    subject: `${d.isDrill ? `${DRILL_MARK} ` : ''}REVIEW REQUESTED: CHANGE ON ${headerText(d.target).toUpperCase()} (P${d.priority}: ${headerText(d.incidentTitle)})`,
    pageName: d.pageName,
    intro: `${d.isDrill ? `${DRILL_MARK} This is a practice incident. ` : ''}${d.loggedBy} logged a change run against production during the P${d.priority} incident "${d.incidentTitle}" and named you as its reviewer. Until you confirm it, the record says "review requested from" you, not "reviewed by".`,
    blocks: [
      { heading: `What ran on ${d.target}`, text: d.what },
      {
        text: `Ran by ${d.ranBy} at ${d.ranAt}. Backup ${d.backupTaken ? 'taken' : 'not taken'}; records touched: ${records}; ${d.triedOnSample ? 'tried on a handful first' : 'not tried on a handful first'}.`,
      },
    ],
    action: { label: 'Confirm or object on the incident page', url: d.incidentUrl },
    why: 'You get this email because a change names you as its reviewer.',
  });
}
