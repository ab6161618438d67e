import {
  displayForms,
  formatClock,
  formatDay,
  formatLong,
  formatShort,
} from '../domain/shared/zoned-time.ts';
import type { Language } from './languages.ts';

/**
 * Times in the reader's language and the page's zone. English keeps the forms Herald has always
 * written (zoned-time.ts, which the visitor's-zone script also reads); every other language
 * gets Intl's own order, names and punctuation for the same fields.
 */
export interface DateFormats {
  short(d: string | Date, tz: string): string;
  long(d: string | Date, tz: string): string;
  day(d: string | Date, tz: string): string;
  clock(d: string | Date, tz: string, now: Date): string;
  /** "30 Minuten", "1 hour 30 minutes": a span in the reader's words. */
  minutes(n: number): string;
}

const { short: SHORT, long: LONG, day: DAY, clock: CLOCK } = displayForms;

const formatters = new Map<string, Intl.DateTimeFormat>();
function fmt(lang: Language, tz: string, name: string, opts: Intl.DateTimeFormatOptions) {
  const id = `${lang} ${tz} ${name}`;
  let f = formatters.get(id);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, { ...opts, timeZone: tz });
    // Zones are settings, not visitor text, but cap the map anyway.
    if (formatters.size >= 512) formatters.clear();
    formatters.set(id, f);
  }
  return f;
}

// Etc/UTC reads "GMT" in some languages; Herald writes UTC everywhere.
const utc = (s: string) => s.replace(/\bGMT\b(?![+-])/g, 'UTC');

function durationText(lang: Language, n: number): string {
  const hours = Math.floor(n / 60);
  const minutes = n % 60;
  const DurationFormat = (
    Intl as unknown as {
      DurationFormat?: new (
        l: string,
        o: { style: string },
      ) => { format(d: { hours?: number; minutes?: number }): string };
    }
  ).DurationFormat;
  if (DurationFormat) {
    const parts = hours ? { hours, ...(minutes ? { minutes } : {}) } : { minutes };
    return new DurationFormat(lang, { style: 'long' }).format(parts);
  }
  const unit = (v: number, u: 'hour' | 'minute') =>
    new Intl.NumberFormat(lang, { style: 'unit', unit: u, unitDisplay: 'long' }).format(v);
  return hours
    ? [unit(hours, 'hour'), ...(minutes ? [unit(minutes, 'minute')] : [])].join(' ')
    : unit(minutes, 'minute');
}

const english: DateFormats = {
  short: formatShort,
  long: formatLong,
  day: formatDay,
  clock: formatClock,
  minutes: (n) => durationText('en', n),
};

const byLanguage = new Map<Language, DateFormats>([['en', english]]);

export function dateFormatsFor(lang: Language): DateFormats {
  let f = byLanguage.get(lang);
  if (f) return f;
  const day = (d: string | Date, tz: string) => fmt(lang, tz, 'day', DAY).format(new Date(d));
  f = {
    short: (d, tz) => utc(fmt(lang, tz, 'short', SHORT).format(new Date(d))),
    long: (d, tz) => utc(fmt(lang, tz, 'long', LONG).format(new Date(d))),
    day,
    clock: (d, tz, now) => {
      const date = new Date(d);
      const clock = utc(fmt(lang, tz, 'clock', CLOCK).format(date));
      return day(date, tz) === day(now, tz)
        ? clock
        : utc(fmt(lang, tz, 'short', SHORT).format(date));
    },
    minutes: (n) => durationText(lang, n),
  };
  byLanguage.set(lang, f);
  return f;
}
