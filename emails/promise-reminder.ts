import { button, html, type RenderedEmail, teamEmail } from './layout.ts';
import { headerText } from '../server/domain/shared/subjects.ts';

export interface PromiseReminderData {
  pageName: string;
  incidentTitle: string;
  priority: number;
  isDrill: boolean;
  /** "14:30 UTC": emails show UTC. */
  dueAt: string;
  /** Minutes until the promise lapses; zero or less once it has (minus the minutes since). */
  minutesLeft: number;
  /** The admin page whose button posts the holding update (a link never changes anything). */
  holdingUrl: string;
  incidentUrl: string;
  holdingBody: string;
}

/**
 * Sent to the incident's owner five minutes before the promised next update lapses, with one
 * link to the page that posts the holding update. When it goes out after the promise lapsed
 * (the relay or Herald was down), it says the update is overdue and since when.
 */
export function renderPromiseReminder(d: PromiseReminderData): {
  subject: string;
  text: string;
  html: string;
} {
  const title = headerText(d.incidentTitle);
  const lapsed = d.minutesLeft <= 0;
  const count = (n: number) => (n === 1 ? '1 minute' : `${n} minutes`);
  const when = lapsed
    ? d.minutesLeft === 0
      ? 'that promise has just lapsed'
      : `that promise lapsed ${count(-d.minutesLeft)} ago`
    : `that is in ${count(d.minutesLeft)}`;
  const due = headerText(d.dueAt).toUpperCase();
  const subject = `${d.isDrill ? '[DRILL] ' : ''}REMINDER: NEXT UPDATE ${lapsed ? `OVERDUE SINCE ${due}` : `DUE ${due}`} FOR PRIORITY ${d.priority}: ${title.toUpperCase()}`;
  return teamEmail({
    pageName: d.pageName,
    subject,
    text: [
      ...(d.isDrill ? ['[DRILL] This is a practice incident.', ''] : []),
      `You promised the next update on "${title}" (P${d.priority}) by ${d.dueAt}: ${when}.`,
      '',
      'Post an update with what changed. If nothing did, post the holding update:',
      `  "${d.holdingBody}"`,
      '',
      `Post the holding update: ${d.holdingUrl}`,
      `The incident: ${d.incidentUrl}`,
    ],
    body: html`
      ${d.isDrill ? html`<p style="margin:0 0 12px;font-weight:bold">[DRILL] This is a practice incident.</p>` : ''}
      <p style="margin:0 0 4px;font-size:13px;font-weight:bold;color:#c2410c">
        ${lapsed ? 'NEXT UPDATE OVERDUE SINCE' : 'NEXT UPDATE DUE'} ${d.dueAt}
      </p>
      <h1 style="margin:0 0 12px;font-size:20px">${title}</h1>
      <p style="margin:0 0 12px">
        You promised the next update on this P${d.priority} incident by
        <strong>${d.dueAt}</strong>: ${when}.
      </p>
      <p style="margin:0 0 12px">
        Post an update with what changed. If nothing did, post the holding update:
      </p>
      <blockquote style="margin:0 0 12px;padding:8px 12px;border-left:4px solid #d4d4d8">
        ${d.holdingBody}
      </blockquote>
      <p style="margin:16px 0">
        ${button(d.holdingUrl, 'Post the holding update')}
      </p>
      <p style="margin:0"><a href="${d.incidentUrl}">Open the incident</a></p>
    `,
  });
}
