import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import type { ComponentStatus } from '../../../db/schema/enums.ts';
import { zonedLocalToUtc } from '../shared/zoned-time.ts';
import { incidentsSeenBySql, PUBLIC_SCOPE } from '../status/incident-scope.ts';
import { worstComponentStatus } from '../status/rollup.ts';

// Uptime from the recorded status history (component_status_changes). Each change opens a
// segment in its new status that lasts until the next change (or now); before the first change
// the component was in that change's old status since it was created. SQL clips the segments to
// the buckets (days or months, in the page's time zone) and sums the minutes per status.
//
// The percentage follows Statuspage's rule, which visitors already know: a major outage counts
// fully, a partial outage at 30 %, degraded performance and planned maintenance not at all.

export type DowntimeStatus = Exclude<ComponentStatus, 'operational'>;
export const downtimeStatuses = [
  'major_outage',
  'partial_outage',
  'degraded_performance',
  'under_maintenance',
] as const satisfies readonly DowntimeStatus[];

export type StatusMinutes = Record<DowntimeStatus, number>;

export interface UptimeCause {
  id: string;
  kind: 'incident' | 'maintenance';
  title: string;
}

export interface UptimeBucket {
  /** `YYYY-MM-DD` for a day, `YYYY-MM` for a month, in the page's time zone. */
  date: string;
  /** Null before the component existed (no data). */
  uptime_percent: number | null;
  minutes: StatusMinutes;
  /** The worst status of the bucket; null without data. */
  worst: ComponentStatus | null;
  causes: UptimeCause[];
}

export interface ComponentUptime {
  id: string;
  name: string;
  group: boolean;
  group_id: string | null;
  uptime_percent: number | null;
  days: UptimeBucket[];
}

interface Span {
  date: string;
  start: number;
  end: number;
}

const MINUTE = 60_000;
export const MAX_UPTIME_DAYS = 90;

function ymd(d: Date, tz: string): { y: number; m: number; d: number } {
  const p: Record<string, string> = {};
  for (const part of new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(d))
    p[part.type] = part.value;
  return { y: Number(p.year), m: Number(p.month), d: Number(p.day) };
}

const pad = (n: number) => String(n).padStart(2, '0');
function midnight(y: number, m: number, d: number, tz: string): number {
  // Date.UTC normalises overflowing days and months (Jan 32 = Feb 1).
  const norm = new Date(Date.UTC(y, m - 1, d));
  const local = `${norm.getUTCFullYear()}-${pad(norm.getUTCMonth() + 1)}-${pad(norm.getUTCDate())}T00:00`;
  return zonedLocalToUtc(local, tz)!.getTime();
}

/** The last `count` days in the page's zone, oldest first, today (up to now) last. */
export function daySpans(now: Date, tz: string, count: number): Span[] {
  const t = ymd(now, tz);
  const spans: Span[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const start = midnight(t.y, t.m, t.d - i, tz);
    const end = Math.min(midnight(t.y, t.m, t.d - i + 1, tz), now.getTime());
    const n = new Date(Date.UTC(t.y, t.m - 1, t.d - i));
    spans.push({
      date: `${n.getUTCFullYear()}-${pad(n.getUTCMonth() + 1)}-${pad(n.getUTCDate())}`,
      start,
      end,
    });
  }
  return spans;
}

/** The last `count` calendar months in the page's zone, oldest first, this month last. */
export function monthSpans(now: Date, tz: string, count: number): Span[] {
  const t = ymd(now, tz);
  const spans: Span[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const first = new Date(Date.UTC(t.y, t.m - 1 - i, 1));
    const y = first.getUTCFullYear();
    const m = first.getUTCMonth() + 1;
    spans.push({
      date: `${y}-${pad(m)}`,
      start: midnight(y, m, 1, tz),
      end: Math.min(midnight(y, m + 1, 1, tz), now.getTime()),
    });
  }
  return spans;
}

interface Row {
  component_id: string;
  bucket: string;
  status: ComponentStatus | 'known';
  ms: number;
}
interface CauseRow {
  component_id: string;
  bucket: string;
  kind: 'incident' | 'maintenance';
  id: string;
  title: string;
}

function emptyMinutes(): StatusMinutes {
  return { major_outage: 0, partial_outage: 0, degraded_performance: 0, under_maintenance: 0 };
}

export function uptimePercent(knownMs: number, m: StatusMinutes): number | null {
  if (knownMs <= 0) return null;
  const down = (m.major_outage + 0.3 * m.partial_outage) * MINUTE;
  const pct = (100 * Math.max(0, knownMs - down)) / knownMs;
  return Math.round(pct * 100) / 100;
}

async function readBuckets(db: DbOrTx, spans: Span[], now: Date): Promise<ComponentUptime[]> {
  const buckets = JSON.stringify(spans.map((s) => [s.date, s.start, s.end]));
  const nowMs = now.getTime();
  // Segments: one per change (until the next one), plus the time from creation to the first.
  const segments = sql`
    segs AS (
      SELECT component_id, new_status AS status, incident_id, maintenance_id,
        changed_at AS s,
        COALESCE(LEAD(changed_at) OVER (PARTITION BY component_id ORDER BY changed_at, rowid), ${nowMs}) AS e
      FROM component_status_changes WHERE changed_at < ${nowMs}
      UNION ALL
      SELECT c.id,
        COALESCE((SELECT x.old_status FROM component_status_changes x WHERE x.component_id = c.id
                  ORDER BY x.changed_at, x.rowid LIMIT 1), c.status),
        NULL, NULL, c.created_at,
        MIN(${nowMs}, COALESCE((SELECT MIN(x.changed_at) FROM component_status_changes x
                                WHERE x.component_id = c.id), ${nowMs}))
      FROM components c WHERE c.is_group = 0
    ),
    b AS (
      SELECT j.value ->> 0 AS bucket, j.value ->> 1 AS bs, j.value ->> 2 AS be
      FROM json_each(${buckets}) j
    ),
    clipped AS (
      SELECT segs.*, b.bucket, MIN(segs.e, b.be) - MAX(segs.s, b.bs) AS ms
      FROM segs JOIN b ON segs.s < b.be AND segs.e > b.bs
    )`;
  const rows = await db.all<Row>(sql`
    WITH ${segments}
    SELECT component_id, bucket, status, SUM(ms) AS ms FROM clipped
    WHERE status != 'operational' GROUP BY component_id, bucket, status
    UNION ALL
    SELECT component_id, bucket, 'known', SUM(ms) FROM clipped GROUP BY component_id, bucket`);
  const causes = await db.all<CauseRow>(sql`
    WITH ${segments}
    SELECT DISTINCT clipped.component_id, clipped.bucket, 'incident' AS kind, i.id, i.title
      FROM clipped JOIN ${incidentsSeenBySql(PUBLIC_SCOPE)} i ON i.id = clipped.incident_id
      WHERE clipped.status != 'operational' AND clipped.ms > 0
    UNION
    SELECT DISTINCT clipped.component_id, clipped.bucket, 'maintenance', m.id, m.title
      FROM clipped JOIN maintenances m ON m.id = clipped.maintenance_id
      WHERE clipped.status != 'operational' AND clipped.ms > 0`);
  const list = await db.all<{
    id: string;
    name: string;
    is_group: number;
    group_id: string | null;
  }>(sql`SELECT id, name, is_group, group_id FROM components ORDER BY position, created_at`);

  const key = (c: string, b: string) => `${c}\u0000${b}`;
  const known = new Map<string, number>();
  const minutes = new Map<string, StatusMinutes>();
  for (const r of rows) {
    const k = key(r.component_id, r.bucket);
    if (r.status === 'known') known.set(k, Number(r.ms));
    else if (r.status !== 'operational') {
      const m = minutes.get(k) ?? emptyMinutes();
      m[r.status] = Math.round(Number(r.ms) / MINUTE);
      minutes.set(k, m);
    }
  }
  const causeMap = new Map<string, UptimeCause[]>();
  for (const c of causes) {
    const k = key(c.component_id, c.bucket);
    const arr = causeMap.get(k) ?? [];
    arr.push({ id: c.id, kind: c.kind, title: c.title });
    causeMap.set(k, arr);
  }

  const leaves = new Map<string, ComponentUptime>();
  const result: ComponentUptime[] = [];
  for (const c of list) {
    if (c.is_group) continue;
    let totalKnown = 0;
    const total = emptyMinutes();
    const days = spans.map((s): UptimeBucket => {
      const k = key(c.id, s.date);
      const knownMs = known.get(k) ?? 0;
      const m = minutes.get(k) ?? emptyMinutes();
      totalKnown += knownMs;
      for (const st of downtimeStatuses) total[st] += m[st];
      const present = downtimeStatuses.filter((st) => m[st] > 0);
      return {
        date: s.date,
        uptime_percent: uptimePercent(knownMs, m),
        minutes: m,
        worst: knownMs > 0 ? worstComponentStatus(present) : null,
        causes: causeMap.get(k) ?? [],
      };
    });
    const u: ComponentUptime = {
      id: c.id,
      name: c.name,
      group: false,
      group_id: c.group_id,
      uptime_percent: uptimePercent(totalKnown, total),
      days,
    };
    leaves.set(c.id, u);
  }
  for (const c of list) {
    if (c.is_group)
      result.push(
        groupUptime(
          c,
          [...leaves.values()].filter((l) => l.group_id === c.id),
          spans,
        ),
      );
    else result.push(leaves.get(c.id)!);
  }
  return result;
}

/**
 * A group's bucket: the worst colour of its components, the mean of their percentages (over
 * those that existed), and per status the longest any one of them spent in it.
 */
function groupUptime(
  g: { id: string; name: string },
  children: ComponentUptime[],
  spans: Span[],
): ComponentUptime {
  const mean = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length ? Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 100) / 100 : null;
  };
  const days = spans.map((s, i): UptimeBucket => {
    const kids = children.map((c) => c.days[i]!).filter((d) => d.worst !== null);
    const m = emptyMinutes();
    for (const d of kids) for (const st of downtimeStatuses) m[st] = Math.max(m[st], d.minutes[st]);
    const causes = new Map<string, UptimeCause>();
    for (const d of kids) for (const c of d.causes) causes.set(c.id, c);
    return {
      date: s.date,
      uptime_percent: mean(kids.map((d) => d.uptime_percent)),
      minutes: m,
      worst: kids.length ? worstComponentStatus(kids.map((d) => d.worst!)) : null,
      causes: [...causes.values()],
    };
  });
  return {
    id: g.id,
    name: g.name,
    group: true,
    group_id: null,
    uptime_percent: mean(children.map((c) => c.uptime_percent)),
    days,
  };
}

/** Daily uptime for the last `days` days (1-90) of every component and group, display order. */
export function readDailyUptime(db: DbOrTx, now: Date, tz: string, days = MAX_UPTIME_DAYS) {
  return readBuckets(db, daySpans(now, tz, days), now);
}

/** Monthly uptime for the last `months` calendar months. */
export function readMonthlyUptime(db: DbOrTx, now: Date, tz: string, months = 12) {
  return readBuckets(db, monthSpans(now, tz, months), now);
}
