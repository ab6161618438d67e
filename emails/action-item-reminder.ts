import { headerText } from '../server/domain/broadcasts/subjects.ts';
import { html, type RenderedEmail } from './layout.ts';

export interface ActionItemReminderData {
  pageName: string;
  reminder: 'before' | 'overdue';
  title: string;
  kind: string;
  incidentTitle: string;
  priority: number;
  /** "Nov 22, 14:20 UTC". */
  dueAt: string;
  /** The incident's admin page, where the item is closed (a POST; the link changes nothing). */
  incidentUrl: string;
}

/** To an action item's owner: due tomorrow, or overdue. Kept until done. */
export function renderActionItemReminder(d: ActionItemReminderData): RenderedEmail {
  const title = headerText(d.title);
  const subject =
    d.reminder === 'before'
      ? `ACTION ITEM DUE ${headerText(d.dueAt).toUpperCase()}: ${title}`
      : `ACTION ITEM OVERDUE: ${title}`;
  const lead =
    d.reminder === 'before'
      ? `Your action item "${title}" is due by ${d.dueAt}.`
      : `Your action item "${title}" was due by ${d.dueAt} and is still open.`;
  const text = [
    lead,
    '',
    `From the P${d.priority} incident "${headerText(d.incidentTitle)}" (${d.kind}).`,
    'When it is done, mark it done; if it will not be done, say why, so the post-mortem can close.',
    '',
    `The incident: ${d.incidentUrl}`,
    '',
    '--',
    `${d.pageName} status page (Herald)`,
  ].join('\n');
  const body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${subject}</title>
      </head>
      <body
        style="margin:0;padding:0;background:#f4f4f5;color:#18181b;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5"
      >
        <div style="max-width:600px;margin:0 auto;padding:16px">
          <div style="background:#ffffff;border-radius:6px;padding:20px">
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
              <a
                href="${d.incidentUrl}"
                style="display:inline-block;padding:10px 16px;background:#18181b;color:#ffffff;text-decoration:none;border-radius:6px"
                >Open the incident</a
              >
            </p>
          </div>
          <p style="font-size:13px;color:#555;padding:12px 4px">${d.pageName} status page (Herald)</p>
        </div>
      </body>
    </html>`;
  return { subject, text, html: String(body) };
}
