import { html, layout, lines, type RenderedEmail, textFooter } from './layout.ts';
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
}

const headline: Record<MaintenanceNoticeKind, string> = {
  maintenance_scheduled: 'Scheduled maintenance',
  maintenance_reminder: 'Maintenance starts soon',
  maintenance_started: 'Maintenance in progress',
  maintenance_completed: 'Maintenance completed',
};

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
 * reminder before it starts, and the start and completion notices. Short, with the window in
 * UTC, what is affected, and links to the page and the calendar feed.
 */
export function renderMaintenanceNotice(d: MaintenanceNoticeData): RenderedEmail {
  const subject = maintenanceSubject(d.kind, d);
  const when = `${utcLong(d.scheduledFor)} to ${utcLong(d.scheduledUntil)}`;
  const affected = d.components.join(', ');
  const text = [
    `${headline[d.kind].toUpperCase()}: ${d.title}`,
    `When: ${when}`,
    affected ? `Affected: ${affected}` : '',
    '',
    d.body,
    '',
    `Details: ${d.maintenanceUrl}`,
    d.kind === 'maintenance_completed' ? '' : `Add to your calendar: ${d.calendarUrl}`,
    '',
    '--',
    textFooter(d),
  ]
    .filter((l, i, all) => l !== '' || all[i - 1] !== '')
    .join('\n');
  const color = d.kind === 'maintenance_completed' ? '#15803d' : '#1d4ed8';
  const body = html`<p
      style="margin:0 0 4px;font-size:13px;font-weight:bold;letter-spacing:.04em;color:${color}"
    >
      ${headline[d.kind].toUpperCase()}
    </p>
    <h1 style="margin:0 0 12px;font-size:20px;line-height:1.3">${d.title}</h1>
    <p style="margin:0 0 12px"><strong>When:</strong> ${when}</p>
    ${affected ? html`<p style="margin:0 0 12px"><strong>Affected:</strong> ${affected}</p>` : ''}
    <p style="margin:0 0 12px">${lines(d.body)}</p>
    <p style="margin:16px 0 0">
      <a
        href="${d.maintenanceUrl}"
        style="display:inline-block;padding:10px 16px;background:#18181b;color:#ffffff;text-decoration:none;border-radius:6px"
        >Maintenance details</a
      >
    </p>
    ${d.kind === 'maintenance_completed' ? '' : html`<p style="margin:12px 0 0"><a href="${d.calendarUrl}">Add to your calendar</a></p>`}`;
  return {
    subject,
    text,
    html: layout({ title: subject, preheader: `${headline[d.kind]}: ${when}`, body, footer: d }),
  };
}
