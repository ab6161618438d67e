import { formatDay } from '../shared/zoned-time.ts';
import { zonedLocalToUtc } from '../shared/zoned-time.ts';

/** P0 and P1 are broadcast, so they get a next-day follow-up to the same audience. */
export const followsUp = (priority: number) => priority <= 1;

/** The wall-clock date of `d` in `tz` as [year, month, day, weekday 0=Sunday]. */
function localDate(d: Date, tz: string): [number, number, number, number] {
  const p: Record<string, string> = {};
  for (const x of new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    weekday: 'short',
  }).formatToParts(d))
    p[x.type] = x.value;
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(p.weekday ?? '');
  return [Number(p.year), Number(p.month), Number(p.day), weekday];
}

/**
 * 10:00 on the next working day (Monday to Friday) after `resolvedAt`, in the page's time
 * zone: a Friday afternoon all-clear is followed up on Monday morning.
 */
export function nextWorkingDayAt10(resolvedAt: Date, tz: string): Date {
  const [y, m, d, wd] = localDate(resolvedAt, tz);
  const skip = wd === 5 ? 3 : wd === 6 ? 2 : 1;
  // Calendar arithmetic on a UTC date is safe: only the wall-clock date is wanted here.
  const next = new Date(Date.UTC(y, m - 1, d + skip));
  const local = `${next.toISOString().slice(0, 10)}T10:00`;
  return zonedLocalToUtc(local, tz)!;
}

export function defaultFollowUpBody(
  incident: { title: string; resolvedAt: Date | null },
  tz: string,
) {
  const when = incident.resolvedAt ? ` on ${formatDay(incident.resolvedAt, tz)}` : '';
  return [
    `A follow-up on "${incident.title}", which we resolved${when}.`,
    '',
    'Everything has kept working normally since the all-clear. We are looking into what caused it and what we will change so that it does not happen again.',
    '',
    'If you still see a problem, reply to this email or contact support.',
    '',
    'Thank you for your patience.',
  ].join('\n');
}
