import type { DbOrTx } from '../../../db/client.ts';
import { componentStatusLabels } from '../status/labels.ts';
import {
  type ComponentUptime,
  downtimeStatuses,
  MAX_UPTIME_DAYS,
  readDailyUptime,
  readMonthlyUptime,
  type UptimeBucket,
} from './read-uptime.ts';

export interface UptimeDayLine {
  date: string;
  label: string;
  worst: UptimeBucket['worst'];
  /** "Major outage 35 min, Partial outage 10 min", or "No downtime" / "No data". */
  summary: string;
  causes: UptimeBucket['causes'];
}

const monthNames = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];

/** "Nov 21, 2026" from a bucket's `YYYY-MM-DD`, or "November 2026" from `YYYY-MM`. */
export function bucketLabel(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number | undefined];
  if (d === undefined)
    return new Intl.DateTimeFormat('en-US', {
      month: 'long',
      year: 'numeric',
      timeZone: 'UTC',
    }).format(new Date(Date.UTC(y, m - 1, 1)));
  return `${monthNames[m - 1]} ${d}, ${y}`;
}

export function formatMinutes(min: number): string {
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const rest = min % 60;
  return rest ? `${h} h ${rest} min` : `${h} h`;
}

/** One day's details as words: the same text for the bar's title and the `<details>` list. */
export function describeBucket(b: UptimeBucket): UptimeDayLine {
  const parts = downtimeStatuses
    .filter((s) => b.minutes[s] > 0)
    .map((s) => `${componentStatusLabels[s]} ${formatMinutes(b.minutes[s])}`);
  const summary = b.worst === null ? 'No data' : parts.length ? parts.join(', ') : 'No downtime';
  return { date: b.date, label: bucketLabel(b.date), worst: b.worst, summary, causes: b.causes };
}

/** `title` text of one bar: the date, the minutes per status and what caused them. */
export function barTitle(b: UptimeBucket): string {
  const d = describeBucket(b);
  const causes = d.causes.map((c) => c.title).join('; ');
  return `${d.label}: ${d.summary}${causes ? ` (${causes})` : ''}`;
}

export function formatPercent(p: number | null): string {
  return p === null ? 'No data' : `${p.toFixed(2)} %`;
}

/** Uptime reads for pages and the API, in the page's time zone. */
export function createUptimeReader(db: DbOrTx, now: () => Date, timeZone: () => Promise<string>) {
  return {
    async daily(days = MAX_UPTIME_DAYS): Promise<ComponentUptime[]> {
      return readDailyUptime(db, now(), await timeZone(), days);
    },
    async monthly(months = 12): Promise<ComponentUptime[]> {
      return readMonthlyUptime(db, now(), await timeZone(), months);
    },
    /** Daily uptime by component id, for the home page's bars. */
    async byComponent(days = MAX_UPTIME_DAYS): Promise<Map<string, ComponentUptime>> {
      return new Map((await this.daily(days)).map((u) => [u.id, u]));
    },
  };
}

export type UptimeReader = ReturnType<typeof createUptimeReader>;
