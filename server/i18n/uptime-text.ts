import type { UptimeBucket } from '../domain/uptime/read-uptime.ts';
import { downtimeStatuses } from '../domain/uptime/read-uptime.ts';
import { bucketLabel, formatMinutes, formatPercent } from '../domain/uptime/uptime-reader.ts';
import { translatorFor } from './catalogue.ts';
import type { Language } from './languages.ts';

/** Uptime's words for one reader: the day or month a bucket covers, its minutes, its share. */
export interface UptimeText {
  /** "Nov 21, 2026" / "21. Nov. 2026" for a day, "November 2026" / "2026年11月" for a month. */
  label(date: string): string;
  /** "Major outage 35 min, Partial outage 10 min", "No downtime" or "No data". */
  summary(b: UptimeBucket): string;
  /** A bar's hover text: the day, its summary and the incidents behind it. */
  barTitle(b: UptimeBucket): string;
  /** "99.95 %" / "99,95 %" / "99.95%", or "No data". */
  percent(p: number | null): string;
}

const texts = new Map<Language, UptimeText>();

/**
 * English keeps the forms the uptime API and pages have always written; every other language
 * gets Intl's own names, units and percent style, and its words from the catalogue.
 */
export function uptimeTextFor(lang: Language): UptimeText {
  let u = texts.get(lang);
  if (u) return u;
  const { t, list } = translatorFor(lang);
  const en = lang === 'en';
  const day = new Intl.DateTimeFormat(lang, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
  const month = new Intl.DateTimeFormat(lang, { month: 'long', year: 'numeric', timeZone: 'UTC' });
  const hours = new Intl.NumberFormat(lang, { style: 'unit', unit: 'hour', unitDisplay: 'short' });
  const mins = new Intl.NumberFormat(lang, { style: 'unit', unit: 'minute', unitDisplay: 'short' });
  const share = new Intl.NumberFormat(lang, {
    style: 'percent',
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  const duration = (min: number) => {
    if (en) return formatMinutes(min);
    const h = Math.floor(min / 60);
    const rest = min % 60;
    if (!h) return mins.format(min);
    return rest ? `${hours.format(h)} ${mins.format(rest)}` : hours.format(h);
  };
  const label = (date: string) => {
    if (en) return bucketLabel(date);
    // Buckets are calendar days and months of the page's zone, written as dates, not instants.
    const [y, m, d] = date.split('-').map(Number) as [number, number, number | undefined];
    return d === undefined
      ? month.format(new Date(Date.UTC(y, m - 1, 1)))
      : day.format(new Date(Date.UTC(y, m - 1, d)));
  };
  const summary = (b: UptimeBucket) => {
    if (b.worst === null) return t('uptime.noDataShort');
    const parts = downtimeStatuses
      .filter((s) => b.minutes[s] > 0)
      .map((s) =>
        t('uptime.statusFor', { status: t(`component.${s}`), duration: duration(b.minutes[s]) }),
      );
    return parts.length ? (en ? parts.join(', ') : list(parts)) : t('uptime.noDowntime');
  };
  u = {
    label,
    summary,
    barTitle: (b) => {
      const causes = b.causes.map((c) => c.title).join('; ');
      const values = { date: label(b.date), summary: summary(b), causes };
      return causes ? t('uptime.barTitleCauses', values) : t('uptime.barTitle', values);
    },
    percent: (p) =>
      p === null ? t('uptime.noDataShort') : en ? formatPercent(p) : share.format(p / 100),
  };
  texts.set(lang, u);
  return u;
}
