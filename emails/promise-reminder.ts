import { button, html, type RenderedEmail, teamEmail } from './layout.ts';
import { headerText } from '../server/domain/shared/subjects.ts';

export interface PromiseReminderData {
  pageName: string;
  incidentTitle: string;
  priority: number;
  isDrill: boolean;
  /** "14:30 UTC": emails show UTC. */
  dueAt: string;
  minutesLeft: number;
  /** The admin page whose button posts the holding update (a link never changes anything). */
  holdingUrl: string;
  incidentUrl: string;
  holdingBody: string;
}

/**
 * Sent to the incident's owner five minutes before the promised next update lapses, with one
 * link to the page that posts the holding update.
 */
export function renderPromiseReminder(d: PromiseReminderData): {
  subject: string;
  text: string;
  html: string;
} {
  const title = headerText(d.incidentTitle);
  const minutes = d.minutesLeft === 1 ? '1 minute' : `${d.minutesLeft} minutes`;
  const subject = `${d.isDrill ? '[DRILL] ' : ''}REMINDER: NEXT UPDATE DUE ${headerText(d.dueAt).toUpperCase()} FOR PRIORITY ${d.priority}: ${title.toUpperCase()}`;
  return teamEmail({
    pageName: d.pageName,
    subject,
    text: [
      `You promised the next update on "${title}" (P${d.priority}) by ${d.dueAt}: that is in ${minutes}.`,
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
        NEXT UPDATE DUE ${d.dueAt}
      </p>
      <h1 style="margin:0 0 12px;font-size:20px">${title}</h1>
      <p style="margin:0 0 12px">
        You promised the next update on this P${d.priority} incident by
        <strong>${d.dueAt}</strong>: that is in ${minutes}.
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
