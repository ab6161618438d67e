import { and, eq, gte, inArray, lt } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  actionItems,
  incidentFacts,
  incidents,
  incidentUpdates,
  remediationItems,
  reports,
} from '../../../db/schema/index.ts';
import { promiseReport } from '../incidents/promise.ts';

export interface LookBackFigures {
  from: string;
  to: string;
  incidents: number;
  byPriority: Record<'0' | '1' | '2' | '3', number>;
  promises: { made: number; kept: number; broken: number };
  /**
   * Medians in minutes; null when there was nothing to measure. The first update is measured
   * from when it started (the earliest report, or the fact sheet's start time); the second
   * from the declaration. Reviews stored before the second was measured lack it.
   */
  medianMinutesToFirstUpdate: number | null;
  medianMinutesDeclarationToSecondUpdate?: number | null;
  medianMinutesToAllClear: number | null;
  actionItems: { total: number; done: number; wontDo: number; open: number; overdue: number };
  remediationOpen: number;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const minutes = (ms: number) => Math.round(ms / 6_000) / 10;

/**
 * The process in figures for real (not drill) incidents that started in [from, to): how many
 * and how urgent, whether promised updates came on time, how fast the first update and the
 * all-clear came, and where their action items and remediation stand at `to`.
 */
export async function readLookBackFigures(
  db: DbOrTx,
  from: Date,
  to: Date,
): Promise<LookBackFigures> {
  const rows = await db
    .select()
    .from(incidents)
    .where(
      and(
        eq(incidents.isDrill, false),
        gte(incidents.startedAt, from),
        lt(incidents.startedAt, to),
      ),
    );
  const ids = rows.map((r) => r.id);
  const updates = ids.length
    ? await db
        .select()
        .from(incidentUpdates)
        .where(
          and(inArray(incidentUpdates.incidentId, ids), eq(incidentUpdates.state, 'published')),
        )
    : [];
  const items = ids.length
    ? await db.select().from(actionItems).where(inArray(actionItems.incidentId, ids))
    : [];
  const remediation = ids.length
    ? await db.select().from(remediationItems).where(inArray(remediationItems.incidentId, ids))
    : [];
  const facts = ids.length
    ? await db
        .select({ incidentId: incidentFacts.incidentId, at: incidentFacts.at })
        .from(incidentFacts)
        .where(and(inArray(incidentFacts.incidentId, ids), eq(incidentFacts.question, 'started')))
    : [];
  const reported = ids.length
    ? await db
        .select({ incidentId: reports.incidentId, at: reports.createdAt })
        .from(reports)
        .where(inArray(reports.incidentId, ids))
    : [];
  /** The earliest sign of it: a report, the fact sheet's start, else the incident's own start. */
  const startOf = (r: (typeof rows)[number]) =>
    Math.min(
      r.startedAt.getTime(),
      ...facts.filter((f) => f.incidentId === r.id && f.at).map((f) => f.at!.getTime()),
      ...reported.filter((x) => x.incidentId === r.id).map((x) => x.at.getTime()),
    );
  const toSecond: number[] = [];
  const byPriority = { '0': 0, '1': 0, '2': 0, '3': 0 };
  const promises = { made: 0, kept: 0, broken: 0 };
  const toFirst: number[] = [];
  const toClear: number[] = [];
  for (const r of rows) {
    byPriority[String(r.priority) as keyof typeof byPriority] += 1;
    const mine = updates.filter((u) => u.incidentId === r.id && u.priorityTo === null);
    const report = promiseReport(mine, to);
    promises.made += report.promises;
    promises.kept += report.kept;
    promises.broken += report.broken;
    const published = mine
      .map((u) => u.publishedAt?.getTime() ?? Infinity)
      .filter((t) => Number.isFinite(t))
      .sort((a, b) => a - b);
    if (published[0] !== undefined) toFirst.push(Math.max(0, published[0] - startOf(r)));
    if (published[1] !== undefined)
      toSecond.push(Math.max(0, published[1] - r.createdAt.getTime()));
    if (r.resolvedAt && r.resolvedAt < to)
      toClear.push(r.resolvedAt.getTime() - r.startedAt.getTime());
  }
  const m1 = median(toFirst);
  const m2 = median(toClear);
  const m3 = median(toSecond);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    incidents: rows.length,
    byPriority,
    promises,
    medianMinutesToFirstUpdate: m1 === null ? null : minutes(m1),
    medianMinutesDeclarationToSecondUpdate: m3 === null ? null : minutes(m3),
    medianMinutesToAllClear: m2 === null ? null : minutes(m2),
    actionItems: {
      total: items.length,
      done: items.filter((i) => i.state === 'done').length,
      wontDo: items.filter((i) => i.state === 'wont_do').length,
      open: items.filter((i) => i.state === 'open').length,
      overdue: items.filter((i) => i.state === 'open' && i.dueAt < to).length,
    },
    remediationOpen: remediation.filter((i) => i.state === 'open' || i.state === 'in_progress')
      .length,
  };
}

const mins = (m: number | null) =>
  m === null ? 'n/a' : m < 90 ? `${Math.round(m)} min` : `${(m / 60).toFixed(1)} h`;

/** The figures as lines, shared by the text and HTML parts. */
export function lookBackLines(f: LookBackFigures): string[] {
  const p = f.byPriority;
  const kept = f.promises.made
    ? `${f.promises.kept} of ${f.promises.made} (${Math.round((100 * f.promises.kept) / f.promises.made)}%)`
    : 'none made';
  return [
    `Incidents: ${f.incidents} (P0 ${p['0']}, P1 ${p['1']}, P2 ${p['2']}, P3 ${p['3']})`,
    `Promised updates kept: ${kept}`,
    `Median time from the start to the first update: ${mins(f.medianMinutesToFirstUpdate)}`,
    `Median time from the declaration to the second update: ${mins(f.medianMinutesDeclarationToSecondUpdate ?? null)}`,
    `Median time to the all-clear: ${mins(f.medianMinutesToAllClear)}`,
    `Action items: ${f.actionItems.done} done, ${f.actionItems.wontDo} won't do, ${f.actionItems.open} open (${f.actionItems.overdue} overdue), of ${f.actionItems.total}`,
    `Remediation items still open: ${f.remediationOpen}`,
  ];
}
