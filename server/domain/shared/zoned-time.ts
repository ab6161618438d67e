/**
 * The one place that does time-zone maths with Intl: reading a wall-clock time in a zone,
 * turning one back into UTC, and the display forms used by pages, feeds and emails. Stored
 * times are UTC; everything shown names its zone.
 */

// Per options object, then per zone: an email or page formats many times with the same few.
const cache = new WeakMap<Intl.DateTimeFormatOptions, Map<string, Intl.DateTimeFormat>>();
function fmt(tz: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let byZone = cache.get(opts);
  if (!byZone) cache.set(opts, (byZone = new Map()));
  let f = byZone.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, ...opts });
    // Zones are settings, not visitor text, but cap the map anyway.
    if (byZone.size >= 64) byZone.clear();
    byZone.set(tz, f);
  }
  return f;
}

function parts(d: Date, tz: string, opts: Intl.DateTimeFormatOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of fmt(tz, opts).formatToParts(d)) out[p.type] = p.value;
  return out;
}

// The display forms' options, one object each: formatters are cached per options and zone.
const SHORT: Intl.DateTimeFormatOptions = {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
};
const CLOCK: Intl.DateTimeFormatOptions = {
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
};
const DAY: Intl.DateTimeFormatOptions = { month: 'short', day: 'numeric', year: 'numeric' };
const LONG: Intl.DateTimeFormatOptions = {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
};

/**
 * The fields each display form shows, in every language: English through the functions below,
 * the other languages in Intl's own order (server/i18n/dates.ts).
 */
export const displayForms = { short: SHORT, long: LONG, day: DAY, clock: CLOCK } as const;

const WALL_CLOCK: Intl.DateTimeFormatOptions = {
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
};

/** The wall-clock reading of `d` in `tz`, zero-padded: { year: '2026', month: '11', ... }. */
function wallClock(d: Date, tz: string) {
  const p = parts(d, tz, WALL_CLOCK);
  return {
    year: p.year!,
    month: p.month!,
    day: p.day!,
    hour: p.hour!,
    minute: p.minute!,
    second: p.second!,
  };
}

function offsetMs(at: number, tz: string): number {
  const p = wallClock(new Date(at), tz);
  const wall = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  return wall - Math.floor(at / 1000) * 1000;
}

const DAY_MS = 86_400_000;

/**
 * `<input type="datetime-local">` sends wall-clock time without a zone; Herald reads it in the
 * page's time zone. Returns null when the text is not a date and time that exists on the
 * calendar ("2026-02-31T10:00" is refused, not rolled over to 3 March).
 *
 * One rule for every zone at a daylight-saving change: a time the clocks skip (02:30 on a
 * spring-forward night) moves forward by the jump (03:30 summer time), and a time the clocks
 * go through twice (01:30 on a fall-back night) is the first, earlier one.
 */
export function zonedLocalToUtc(local: string, tz: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/.exec(local.trim());
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (h > 23 || mi > 59) return null;
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const check = new Date(wall);
  if (Number.isNaN(wall) || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  // Offsets a day either side are the ones before and after any change that night. Each gives
  // a candidate instant; a candidate is right when it reads back as the typed time there.
  const before = wall - offsetMs(wall - DAY_MS, tz);
  const after = wall - offsetMs(wall + DAY_MS, tz);
  const fits = [before, after].filter((t) => t + offsetMs(t, tz) === wall);
  // Two fit: the time comes twice (fall back), take the earlier. None fits: the clocks skip
  // it (spring forward); the offset from before the change lands as far past the jump as the
  // time was past its start, which is the later candidate.
  return new Date(fits.length > 0 ? Math.min(...fits) : Math.max(before, after));
}

/** A UTC instant as the value of a `datetime-local` field in the page's zone ("2026-11-22T03:00"). */
export function toZonedLocal(d: Date | null | undefined, tz: string): string {
  if (!d) return '';
  const p = wallClock(d, tz);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** "Nov 21, 14:05 UTC": the feeds' and timelines' short form. */
export function formatShort(d: Date | string, tz = 'Etc/UTC'): string {
  const p = parts(new Date(d), tz, SHORT);
  return `${p.month} ${p.day}, ${p.hour}:${p.minute} ${zoneName(p.timeZoneName, tz)}`;
}

/** "14:30 UTC": for "Next update by 14:30 UTC". Adds the date when it is not `now`'s day. */
export function formatClock(d: Date | string, tz: string, now: Date): string {
  const date = new Date(d);
  const p = parts(date, tz, CLOCK);
  const sameDay = formatDay(date, tz) === formatDay(now, tz);
  const clock = `${p.hour}:${p.minute} ${zoneName(p.timeZoneName, tz)}`;
  return sameDay ? clock : `${formatDay(date, tz)}, ${clock}`;
}

/** "Nov 21, 2026". */
export function formatDay(d: Date | string, tz = 'Etc/UTC'): string {
  const p = parts(new Date(d), tz, DAY);
  return `${p.month} ${p.day}, ${p.year}`;
}

/** "Sat 21 Nov 2026, 14:05 UTC": full form for single events. */
export function formatLong(d: Date | string, tz = 'Etc/UTC'): string {
  const p = parts(new Date(d), tz, LONG);
  return `${p.weekday} ${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} ${zoneName(p.timeZoneName, tz)}`;
}

function zoneName(short: string | undefined, tz: string): string {
  if (!short || short === 'GMT' || tz === 'UTC' || tz === 'Etc/UTC')
    return tz === 'UTC' || tz === 'Etc/UTC' || short === 'GMT' ? 'UTC' : (short ?? tz);
  return short;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
