import { DRILL_MARK } from '../server/domain/broadcasts/subjects.ts';
import { html, layout, lines, raw, type RenderedEmail, textFooter, button } from './layout.ts';

export interface IncidentNoticeData {
  kind: 'postmortem' | 'follow_up';
  /** The subject stored with the broadcast (`PRIORITY 0 ISSUE POST-MORTEM: ...`). */
  subject: string;
  pageName: string;
  listName: string;
  priority: number;
  title: string;
  isDrill: boolean;
  /** Plain text: the follow-up, or the post-mortem's Markdown source. */
  text: string;
  /** Already sanitised HTML (a post-mortem rendered by renderMarkdown); null: use `text`. */
  safeHtml: string | null;
  resolvedOn: string | null;
  incidentUrl: string;
  manageUrl: string;
  unsubscribeUrl: string;
}

/** After the all-clear: the next-day follow-up or the published post-mortem. */
export function renderIncidentNotice(d: IncidentNoticeData): RenderedEmail {
  const headline = d.kind === 'postmortem' ? 'Post-mortem' : 'Follow-up';
  const lead = d.resolvedOn ? `${headline} on an issue resolved ${d.resolvedOn}.` : `${headline}.`;
  const text = [
    d.isDrill ? `${DRILL_MARK} THIS IS A DRILL: a practice incident.\n` : '',
    `PRIORITY ${d.priority}: ${d.title}`,
    lead,
    '',
    d.text,
    '',
    `Details: ${d.incidentUrl}`,
    '',
    '--',
    textFooter(d),
  ].join('\n');
  const body = html`<p style="margin:0 0 4px;font-size:13px;font-weight:bold;letter-spacing:.04em;color:#15803d">
      PRIORITY ${d.priority} &middot; ${headline.toUpperCase()}
    </p>
    <h1 style="margin:0 0 12px;font-size:20px;line-height:1.3">${d.title}</h1>
    <p style="margin:0 0 12px">${lead}</p>
    ${d.safeHtml === null ? html`<p style="margin:0 0 12px">${lines(d.text)}</p>` : html`<div>${raw(d.safeHtml)}</div>`}
    <p style="margin:16px 0 0">
      ${button(d.incidentUrl, 'Incident details')}
    </p>`;
  return {
    subject: d.subject,
    text,
    html: layout({ title: d.subject, preheader: `${headline}: ${d.title}`, body, footer: d }),
  };
}
