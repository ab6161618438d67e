import { DRILL_MARK } from '../server/domain/shared/subjects.ts';
import { html, layout, lines, raw, type RenderedEmail, textFooter, button } from './layout.ts';

export interface IncidentNoticeData {
  kind: 'postmortem' | 'follow_up';
  /** The subject stored with the broadcast (`PRIORITY 0 ISSUE POST-MORTEM: ...`). */
  subject: string;
  pageName: string;
  listName: string;
  priority: number;
  /** Public lists: the impact in words instead of the priority; null for internal lists. */
  impactLabel?: string | null;
  title: string;
  isDrill: boolean;
  /** Plain text: the follow-up, or the post-mortem's Markdown source. */
  text: string;
  /** Already sanitised HTML (a post-mortem rendered by renderMarkdown); null: use `text`. */
  safeHtml: string | null;
  resolvedOn: string | null;
  incidentUrl: string;
  /** A follow-up's link to the published post-mortem; null before it is out. */
  postmortemUrl?: string | null;
  manageUrl: string;
  unsubscribeUrl: string;
}

/** After the all-clear: the next-day follow-up or the published post-mortem. */
export function renderIncidentNotice(d: IncidentNoticeData): RenderedEmail {
  const headline = d.kind === 'postmortem' ? 'Post-mortem' : 'Follow-up';
  const badge = d.impactLabel ? d.impactLabel : `PRIORITY ${d.priority}`;
  const lead = d.resolvedOn ? `${headline} on an issue resolved ${d.resolvedOn}.` : `${headline}.`;
  const text = [
    d.isDrill ? `${DRILL_MARK} THIS IS A DRILL: a practice incident.\n` : '',
    `${badge}: ${d.title}`,
    lead,
    '',
    d.text,
    '',
    ...(d.postmortemUrl ? [`What we learned, in the post-mortem: ${d.postmortemUrl}`, ''] : []),
    `Details: ${d.incidentUrl}`,
    '',
    '--',
    textFooter(d),
  ].join('\n');
  const body = html`<p style="margin:0 0 4px;font-size:13px;font-weight:bold;letter-spacing:.04em;color:#15803d">
      ${badge.toUpperCase()} &middot; ${headline.toUpperCase()}
    </p>
    <h1 style="margin:0 0 12px;font-size:20px;line-height:1.3">${d.title}</h1>
    <p style="margin:0 0 12px">${lead}</p>
    ${d.safeHtml === null ? html`<p style="margin:0 0 12px">${lines(d.text)}</p>` : html`<div>${raw(d.safeHtml)}</div>`}
    ${d.postmortemUrl ? html`<p style="margin:0 0 12px">What we learned: <a href="${d.postmortemUrl}">read the post-mortem</a>.</p>` : ''}
    <p style="margin:16px 0 0">
      ${button(d.incidentUrl, 'Incident details')}
    </p>`;
  return {
    subject: d.subject,
    text,
    html: layout({ title: d.subject, preheader: `${headline}: ${d.title}`, body, footer: d }),
  };
}
