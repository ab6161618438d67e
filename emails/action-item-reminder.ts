import { DRILL_MARK, headerText } from '../server/domain/shared/subjects.ts';
import { button, html, type RenderedEmail, teamEmail } from './layout.ts';

export interface ActionItemReminderData {
  pageName: string;
  reminder: 'before' | 'overdue';
  title: string;
  kind: string;
  incidentTitle: string;
  priority: number;
  /** The incident is a drill: subject and body say so, as every drill mail does. */
  isDrill: boolean;
  /** "Nov 22, 14:20 UTC". */
  dueAt: string;
  /** The incident's admin page, where the item is closed (a POST; the link changes nothing). */
  incidentUrl: string;
}

/** To an action item's owner: due tomorrow, or overdue. Kept until done. */
export function renderActionItemReminder(d: ActionItemReminderData): RenderedEmail {
  const title = headerText(d.title);
  const drill = d.isDrill ? `${DRILL_MARK} ` : '';
  const subject =
    drill +
    (d.reminder === 'before'
      ? `ACTION ITEM DUE ${headerText(d.dueAt).toUpperCase()}: ${title}`
      : `ACTION ITEM OVERDUE: ${title}`);
  const lead =
    d.reminder === 'before'
      ? `Your action item "${title}" is due by ${d.dueAt}.`
      : `Your action item "${title}" was due by ${d.dueAt} and is still open.`;
  return teamEmail({
    pageName: d.pageName,
    subject,
    text: [
      ...(d.isDrill ? [`${DRILL_MARK} This is a practice incident.`, ''] : []),
      lead,
      '',
      `From the P${d.priority} incident "${headerText(d.incidentTitle)}" (${d.kind}).`,
      'When it is done, mark it done; if it will not be done, say why, so the post-mortem can close.',
      '',
      `The incident: ${d.incidentUrl}`,
    ],
    body: html`
      ${d.isDrill ? html`<p style="margin:0 0 12px;font-weight:bold">${DRILL_MARK} This is a practice incident.</p>` : ''}
      <p style="margin:0 0 4px;font-size:13px;font-weight:bold;color:${d.reminder === 'overdue' ? '#b91c1c' : '#c2410c'}">
        ${d.reminder === 'overdue' ? 'OVERDUE' : 'DUE SOON'}
      </p>
      <h1 style="margin:0 0 12px;font-size:20px">${title}</h1>
      <p style="margin:0 0 12px">${lead}</p>
      <p style="margin:0 0 12px">
        From the P${d.priority} incident &ldquo;${d.incidentTitle}&rdquo; (${d.kind}). When it is done,
        mark it done; if it will not be done, say why, so the post-mortem can close.
      </p>
      <p style="margin:16px 0 0">
        ${button(d.incidentUrl, 'Open the incident')}
      </p>
    `,
  });
}
