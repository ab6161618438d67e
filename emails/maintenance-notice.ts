import { html, layout, lines, type RenderedEmail, textFooter } from './layout.ts';
import { translatorFor } from '../server/i18n/catalogue.ts';
import { dateFormatsFor } from '../server/i18n/dates.ts';
import type { Language } from '../server/i18n/languages.ts';
import {
  type MaintenanceNoticeKind,
  maintenanceSubject,
} from '../server/domain/shared/maintenance-subject.ts';

export interface MaintenanceNoticeData {
  kind: MaintenanceNoticeKind;
  pageName: string;
  listName: string;
  title: string;
  /** What the window is for (its description), or the text of the step being announced. */
  body: string;
  scheduledFor: Date;
  scheduledUntil: Date;
  /** Names of the affected components; empty when the window names none. */
  components: string[];
  maintenanceUrl: string;
  /** The iCalendar feed, so the window can go into a calendar. */
  calendarUrl: string;
  manageUrl: string;
  unsubscribeUrl: string;
  /** The recipient's language: fixed text, times and the subject are in it (English if not given). */
  lang?: Language;
}

/** "Sun 23 Nov 2026, 02:00 UTC": emails always show UTC. */
export function utcLong(d: Date): string {
  const wd = d.toLocaleDateString('en-GB', { weekday: 'short', timeZone: 'UTC' });
  const date = d.toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
  const hm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${wd} ${date}, ${hm} UTC`;
}

/**
 * The maintenance notices subscribers get: the announcement when a window is scheduled, the
 * reminder before it starts, the start and completion notices, and the corrections (called
 * off, moved to new times). Short, with the window in UTC, what is affected, and links to the
 * page and the calendar feed. A correction leads with its fixed line in the reader's language;
 * `body` is then the PM's own words, if any.
 */
export function renderMaintenanceNotice(d: MaintenanceNoticeData): RenderedEmail {
  const lang = d.lang ?? 'en';
  const tr = translatorFor(lang);
  const { t } = tr;
  const subject = maintenanceSubject(d.kind, d, lang);
  const headline = t('mail.maintHeadline', { kind: d.kind.replace('maintenance_', '') });
  // English keeps the form its mails always had; other languages get Intl's, still in UTC.
  const at = (x: Date) => (lang === 'en' ? utcLong(x) : dateFormatsFor(lang).long(x, 'Etc/UTC'));
  const when = t('common.range', { start: at(d.scheduledFor), end: at(d.scheduledUntil) });
  const affected = d.components.length ? tr.list(d.components) : '';
  const upper = headline.toLocaleUpperCase(lang);
  const lead =
    d.kind === 'maintenance_cancelled'
      ? t('mail.maintCancelledLead')
      : d.kind === 'maintenance_moved'
        ? t('mail.maintMovedLead', { when })
        : '';
  // A window that will not happen (or is over) has nothing to put in a calendar.
  const noCalendar = d.kind === 'maintenance_completed' || d.kind === 'maintenance_cancelled';
  const color =
    d.kind === 'maintenance_completed'
      ? '#15803d'
      : d.kind === 'maintenance_cancelled'
        ? '#52525b'
        : '#1d4ed8';
  const text = [
    `${upper}: ${d.title}`,
    t('mail.when', { when }),
    affected ? t('common.affected', { names: affected }) : '',
    '',
    lead,
    d.body,
    '',
    t('mail.details', { url: d.maintenanceUrl }),
    noCalendar ? '' : t('mail.addToCalendarUrl', { url: d.calendarUrl }),
    '',
    '--',
    textFooter({ ...d, lang }),
  ]
    .filter((l, i, all) => l !== '' || all[i - 1] !== '')
    .join('\n');
  const [whenBefore, whenAfter] = tr.around('mail.when', 'when');
  const [affBefore, affAfter] = tr.around('common.affected', 'names');
  const body = html`<p
      style="margin:0 0 4px;font-size:13px;font-weight:bold;letter-spacing:.04em;color:${color}"
    >
      ${upper}
    </p>
    <h1 style="margin:0 0 12px;font-size:20px;line-height:1.3">${d.title}</h1>
    <p style="margin:0 0 12px"><strong>${whenBefore.trim()}</strong> ${when}${whenAfter}</p>
    ${affected ? html`<p style="margin:0 0 12px"><strong>${affBefore.trim()}</strong> ${affected}${affAfter}</p>` : ''}
    ${lead ? html`<p style="margin:0 0 12px"><strong>${lead}</strong></p>` : ''}
    ${d.body ? html`<p style="margin:0 0 12px">${lines(d.body)}</p>` : ''}
    <p style="margin:16px 0 0">
      <a
        href="${d.maintenanceUrl}"
        style="display:inline-block;padding:10px 16px;background:#18181b;color:#ffffff;text-decoration:none;border-radius:6px"
        >${t('mail.maintDetails')}</a
      >
    </p>
    ${noCalendar ? '' : html`<p style="margin:12px 0 0"><a href="${d.calendarUrl}">${t('mail.addToCalendar')}</a></p>`}`;
  return {
    subject,
    text,
    html: layout({
      title: subject,
      preheader: t('mail.maintPreheader', { headline, when }),
      body,
      footer: { ...d, lang },
    }),
  };
}
