import { headerText } from './subjects.ts';

// Kept apart from the HTML template so the domain can store a broadcast's subject without
// importing the HTML toolkit.

export const maintenanceNoticeKinds = [
  'maintenance_scheduled',
  'maintenance_reminder',
  'maintenance_started',
  'maintenance_completed',
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

/**
 * `SCHEDULED MAINTENANCE: DATABASE UPGRADE, SUN 02:00-04:00 UTC` and its siblings for the
 * reminder, the start and the completion; no CR/LF from the title.
 */
export function maintenanceSubject(
  kind: MaintenanceNoticeKind,
  m: { title: string; scheduledFor: Date; scheduledUntil: Date },
): string {
  const title = headerText(m.title).toUpperCase();
  const span = windowSpanUtc(m.scheduledFor, m.scheduledUntil);
  switch (kind) {
    case 'maintenance_scheduled':
      return `SCHEDULED MAINTENANCE: ${title}, ${span}`;
    case 'maintenance_reminder':
      return `MAINTENANCE REMINDER: ${title}, ${span}`;
    case 'maintenance_started':
      return `MAINTENANCE IN PROGRESS: ${title}, UNTIL ${hhmm(m.scheduledUntil)} UTC`;
    case 'maintenance_completed':
      return `MAINTENANCE COMPLETED: ${title}`;
  }
}
