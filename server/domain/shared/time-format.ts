/** Time formatting for pages, feeds and emails. Stored times are UTC; display names the zone. */

const cache = new Map<string, Intl.DateTimeFormat>();
function fmt(tz: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${tz}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, ...opts });
    cache.set(key, f);
  }
  return f;
}

function parts(d: Date, tz: string, opts: Intl.DateTimeFormatOptions) {
  const out: Record<string, string> = {};
  for (const p of fmt(tz, opts).formatToParts(d)) out[p.type] = p.value;
  return out;
}

/** "Nov 21, 14:05 UTC": the feeds' and timelines' short form. */
export function formatShort(d: Date | string, tz = 'Etc/UTC'): string {
  const p = parts(new Date(d), tz, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  return `${p.month} ${p.day}, ${p.hour}:${p.minute} ${zoneName(p.timeZoneName, tz)}`;
}

/** "14:30 UTC": for "Next update by 14:30 UTC". Adds the date when it is not today. */
export function formatClock(d: Date | string, tz = 'Etc/UTC', now: Date = new Date()): string {
  const date = new Date(d);
  const p = parts(date, tz, {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  const sameDay = formatDay(date, tz) === formatDay(now, tz);
  const clock = `${p.hour}:${p.minute} ${zoneName(p.timeZoneName, tz)}`;
  return sameDay ? clock : `${formatDay(date, tz)}, ${clock}`;
}

/** "Nov 21, 2026". */
export function formatDay(d: Date | string, tz = 'Etc/UTC'): string {
  const p = parts(new Date(d), tz, { month: 'short', day: 'numeric', year: 'numeric' });
  return `${p.month} ${p.day}, ${p.year}`;
}

/** "Sat 21 Nov 2026, 14:05 UTC": full form for single events. */
export function formatLong(d: Date | string, tz = 'Etc/UTC'): string {
  const p = parts(new Date(d), tz, {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
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
