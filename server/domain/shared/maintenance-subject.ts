import { headerText } from './subjects.ts';
import { translatorFor } from '../../i18n/catalogue.ts';
import type { Language } from '../../i18n/languages.ts';

// Kept apart from the HTML template so the domain can store a broadcast's subject without
// importing the HTML toolkit.

export const maintenanceNoticeKinds = [
  'maintenance_scheduled',
  'maintenance_reminder',
  'maintenance_started',
  'maintenance_completed',
  /** Called off before it started: only sent when subscribers had heard of the window. */
  'maintenance_cancelled',
  /** Moved to new times before it started: likewise. */
  'maintenance_moved',
] as const;
export type MaintenanceNoticeKind = (typeof maintenanceNoticeKinds)[number];

const days = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const hhmm = (d: Date) =>
  `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;

/** "SUN 02:00-04:00 UTC", or "SAT 23:00-SUN 01:00 UTC" across midnight. Emails use UTC. */
export function windowSpanUtc(from: Date, until: Date): string {
  const sameDay = from.toISOString().slice(0, 10) === until.toISOString().slice(0, 10);
  const start = `${days[from.getUTCDay()]} ${hhmm(from)}`;
  return sameDay
    ? `${start}-${hhmm(until)} UTC`
    : `${start}-${days[until.getUTCDay()]} ${hhmm(until)} UTC`;
}

/** "SO. 02:00-04:00 UTC", "日 02:00-04:00 UTC": the window with the reader's day names. */
function windowSpanIn(lang: Language, from: Date, until: Date): string {
  const weekday = new Intl.DateTimeFormat(lang, { weekday: 'short', timeZone: 'UTC' });
  const dayOf = (d: Date) => weekday.format(d).toLocaleUpperCase(lang);
  const sameDay = from.toISOString().slice(0, 10) === until.toISOString().slice(0, 10);
  const start = `${dayOf(from)} ${hhmm(from)}`;
  return sameDay ? `${start}-${hhmm(until)} UTC` : `${start}-${dayOf(until)} ${hhmm(until)} UTC`;
}

/**
 * `SCHEDULED MAINTENANCE: DATABASE UPGRADE, SUN 02:00-04:00 UTC` and its siblings for the
 * reminder, the start, the completion, the cancellation and the move, in the reader's language (the stored subject is the
 * English one); no CR/LF from the title.
 */
export function maintenanceSubject(
  kind: MaintenanceNoticeKind,
  m: { title: string; scheduledFor: Date; scheduledUntil: Date },
  lang: Language = 'en',
): string {
  const span =
    lang === 'en'
      ? windowSpanUtc(m.scheduledFor, m.scheduledUntil)
      : windowSpanIn(lang, m.scheduledFor, m.scheduledUntil);
  return headerText(
    translatorFor(lang).t('mail.maintSubject', {
      kind: kind.replace('maintenance_', ''),
      title: headerText(m.title).toLocaleUpperCase(lang),
      span,
      until: `${hhmm(m.scheduledUntil)} UTC`,
    }),
  );
}
