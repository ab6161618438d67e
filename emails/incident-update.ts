import { DRILL_MARK, incidentSubject } from '../server/domain/broadcasts/subjects.ts';
import {
  html,
  headerText,
  layout,
  lines,
  type RenderedEmail,
  textFooter,
  button,
} from './layout.ts';

export interface IncidentEmailData {
  pageName: string;
  listName: string;
  /** Why this address gets it, when it is not a list (an incident's follower). */
  reason?: string;
  priority: number;
  /**
   * For public readers: the impact in words ("Major outage"), shown where internal lists see
   * the priority; null for internal lists, which see "PRIORITY 0".
   */
  impactLabel: string | null;
  /** The list's own subject line, when it has one (see listSubject). */
  subject?: string;
  title: string;
  isDrill: boolean;
  /** "Investigating", "Identified", ... */
  statusLabel: string;
  affected: { name: string; status: string }[];
  body: string;
  /** Only for internal lists: the caller passes null for public ones. */
  internalNote: string | null;
  /** "14:30 UTC" when the update promises the next one. */
  nextUpdateBy: string | null;
  incidentUrl: string;
  manageUrl: string;
  unsubscribeUrl: string;
}

const DRILL = DRILL_MARK;

/** The broadcast for a published P0/P1 update: short, status first, details one link away. */
export function renderIncidentUpdate(d: IncidentEmailData): RenderedEmail {
  return renderIncident('update', d);
}

/** The official all-clear when an incident resolves: thanks people for their patience. */
export function renderAllClear(d: Omit<IncidentEmailData, 'nextUpdateBy'>): RenderedEmail {
  return renderIncident('resolved', { ...d, nextUpdateBy: null });
}

function renderIncident(kind: 'update' | 'resolved', d: IncidentEmailData): RenderedEmail {
  const subject =
    d.subject ??
    (d.impactLabel === null
      ? incidentSubject(kind, d)
      : `${d.isDrill ? `${DRILL} ` : ''}${kind === 'resolved' ? 'Resolved' : headerText(d.impactLabel)}: ${headerText(d.title)}`);
  const badge = d.impactLabel === null ? `PRIORITY ${d.priority}` : d.impactLabel;
  const title = headerText(d.title);
  const affected = d.affected.map((a) => `${a.name} (${a.status.toLowerCase()})`).join(', ');
  const thanks = 'The issue is resolved. Thank you for your patience.';
  const drillLine = 'THIS IS A DRILL: a practice incident. Nothing is actually broken.';

  const text = [
    d.isDrill ? `${drillLine}\n` : '',
    `${badge}: ${title}`,
    `Status: ${d.statusLabel}`,
    affected ? `Affected: ${affected}` : '',
    '',
    kind === 'resolved' ? `${thanks}\n` : '',
    d.body,
    d.internalNote
      ? `\nINTERNAL NOTE (do not forward outside the company):\n${d.internalNote}`
      : '',
    d.nextUpdateBy ? `\nNext update by ${d.nextUpdateBy}.` : '',
    `\nDetails: ${d.incidentUrl}`,
    '',
    '--',
    textFooter(d),
  ]
    .filter((l, i, all) => l !== '' || all[i - 1] !== '')
    .join('\n');

  const banner = d.isDrill
    ? html`<p
        style="margin:0 0 12px;padding:10px 14px;background:#fef3c7;border:1px solid #d97706;border-radius:6px;font-weight:bold"
      >
        ${DRILL} ${drillLine}
      </p>`
    : '';
  const color = kind === 'resolved' ? '#15803d' : d.priority === 0 ? '#b91c1c' : '#c2410c';
  const body = html`<p
      style="margin:0 0 4px;font-size:13px;font-weight:bold;letter-spacing:.04em;color:${color}"
    >
      ${badge.toUpperCase()} &middot; ${d.statusLabel.toUpperCase()}
    </p>
    <h1 style="margin:0 0 12px;font-size:20px;line-height:1.3">${title}</h1>
    ${affected ? html`<p style="margin:0 0 12px"><strong>Affected:</strong> ${affected}</p>` : ''}
    ${kind === 'resolved' ? html`<p style="margin:0 0 12px"><strong>${thanks}</strong></p>` : ''}
    <p style="margin:0 0 12px">${lines(d.body)}</p>
    ${
      d.internalNote
        ? html`<div
            style="margin:0 0 12px;padding:10px 14px;background:#eff6ff;border-left:4px solid #1d4ed8;overflow-wrap:anywhere;word-break:break-word"
          >
            <p style="margin:0 0 4px;font-weight:bold">
              Internal note (do not forward outside the company)
            </p>
            <p style="margin:0">${lines(d.internalNote)}</p>
          </div>`
        : ''
    }
    ${d.nextUpdateBy ? html`<p style="margin:0 0 12px"><strong>Next update by ${d.nextUpdateBy}.</strong></p>` : ''}
    <p style="margin:16px 0 0">
      ${button(d.incidentUrl, 'Incident details')}
    </p>`;
  return {
    subject,
    text,
    html: layout({
      title: subject,
      preheader: `${d.statusLabel}: ${title}`,
      banner,
      body,
      footer: d,
    }),
  };
}
