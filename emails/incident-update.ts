import { DRILL_MARK, incidentSubject } from '../server/domain/shared/subjects.ts';
import { translatorFor } from '../server/i18n/catalogue.ts';
import type { Language } from '../server/i18n/languages.ts';
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
  /**
   * The recipients' language: fixed text and the subject are in it (English when not given);
   * `statusLabel`, `affected` and `nextUpdateBy` come already in it.
   */
  lang?: Language;
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
  const lang = d.lang ?? 'en';
  const { t } = translatorFor(lang);
  const title = headerText(d.title);
  // What public readers read first, as their subject has it: "Major outage: Website is down",
  // then "Resolved: Website is down" (never the outage again above "Status: Resolved").
  const publicLine =
    d.impactLabel === null
      ? null
      : headerText(t('mail.publicSubject', { kind, impact: headerText(d.impactLabel), title }));
  const subject =
    d.subject ??
    (publicLine === null
      ? incidentSubject(kind, d, lang)
      : `${d.isDrill ? `${DRILL} ` : ''}${publicLine}`);
  // English reads statuses in lower case mid-sentence; other languages keep their spelling.
  const word = (s: string) => (lang === 'en' ? s.toLowerCase() : s);
  const affected = d.affected.map((a) => `${a.name} (${word(a.status)})`).join(', ');
  const thanks = t('mail.thanks');
  const drillLine = t('mail.drill');
  // Internal lists see the team's priority; public readers the impact in words, and once it is
  // resolved only that (the status says it).
  const badge =
    d.impactLabel === null
      ? t('mail.priority', { priority: String(d.priority) })
      : kind === 'resolved'
        ? null
        : d.impactLabel;
  const noteHead = t('mail.internalNote');
  const nextUpdate = d.nextUpdateBy ? t('mail.nextUpdate', { time: d.nextUpdateBy }) : '';

  const text = [
    d.isDrill ? `${drillLine}\n` : '',
    publicLine ?? `${badge}: ${title}`,
    t('mail.status', { status: d.statusLabel }),
    affected ? t('common.affected', { names: affected }) : '',
    '',
    kind === 'resolved' ? `${thanks}\n` : '',
    d.body,
    // The text part shouts the label (not the parenthesis), as plain text has no bold.
    d.internalNote
      ? `\n${noteHead.replace(/^[^(（]+/, (m) => m.toLocaleUpperCase(lang))}:\n${d.internalNote}`
      : '',
    nextUpdate ? `\n${nextUpdate}` : '',
    `\n${t('mail.details', { url: d.incidentUrl })}`,
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
      ${badge === null ? '' : html`${badge.toLocaleUpperCase(lang)} &middot; `}${d.statusLabel.toLocaleUpperCase(lang)}
    </p>
    <h1 style="margin:0 0 12px;font-size:20px;line-height:1.3">${title}</h1>
    ${affected ? html`<p style="margin:0 0 12px">${t('common.affected', { names: affected })}</p>` : ''}
    ${kind === 'resolved' ? html`<p style="margin:0 0 12px"><strong>${thanks}</strong></p>` : ''}
    <p style="margin:0 0 12px">${lines(d.body)}</p>
    ${
      d.internalNote
        ? html`<div
            style="margin:0 0 12px;padding:10px 14px;background:#eff6ff;border-left:4px solid #1d4ed8"
          >
            <p style="margin:0 0 4px;font-weight:bold">${noteHead}</p>
            <p style="margin:0">${lines(d.internalNote)}</p>
          </div>`
        : ''
    }
    ${nextUpdate ? html`<p style="margin:0 0 12px"><strong>${nextUpdate}</strong></p>` : ''}
    <p style="margin:16px 0 0">
      ${button(d.incidentUrl, t('mail.detailsButton'))}
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
