import type { ReportCloseReason, ReportKind } from '../../../db/schema/reports.ts';

// Pure rules of triage: how long a report may wait, when the reminder is due, which week a P1
// counts in. They take `now` so the scheduler and the dashboard agree.

export interface TriageSettings {
  triageMinutesP0: number;
  triageMinutesP1: number;
  p1BudgetPerWeek: number;
}

/** Only P0 and P1 bug reports are timeboxed; feature requests leave the incident flow. */
export function timeboxMinutes(
  report: { priority: number; kind: ReportKind },
  s: TriageSettings,
): number | null {
  if (report.kind !== 'bug') return null;
  if (report.priority === 0) return s.triageMinutesP0;
  if (report.priority === 1) return s.triageMinutesP1;
  return null;
}

export interface Timebox {
  dueAt: Date;
  halfAt: Date;
  /** Milliseconds left (negative once overdue). */
  leftMs: number;
  overdue: boolean;
}

export function timeboxOf(
  report: { priority: number; kind: ReportKind; createdAt: Date },
  s: TriageSettings,
  now: Date,
): Timebox | null {
  const minutes = timeboxMinutes(report, s);
  if (minutes === null) return null;
  const start = report.createdAt.getTime();
  const dueAt = new Date(start + minutes * 60_000);
  return {
    dueAt,
    halfAt: new Date(start + (minutes * 60_000) / 2),
    leftMs: dueAt.getTime() - now.getTime(),
    overdue: now.getTime() >= dueAt.getTime(),
  };
}

/** "12 min left", "3 min overdue": what the dashboard shows. */
export function describeTimebox(t: Timebox): string {
  const minutes = Math.ceil(Math.abs(t.leftMs) / 60_000);
  return t.overdue ? `OVERDUE by ${Math.max(1, minutes)} min` : `${minutes} min left`;
}

/** Monday 00:00 UTC of the week `d` falls in. */
export function weekStart(d: Date): Date {
  const day = (d.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day));
}

/** The queue order: P0/P1 first, newest first within each priority band. */
export function queueOrder<T extends { priority: number; createdAt: Date }>(rows: T[]): T[] {
  const band = (p: number) => (p <= 1 ? 0 : 1);
  return [...rows].sort(
    (a, b) =>
      band(a.priority) - band(b.priority) ||
      a.priority - b.priority ||
      b.createdAt.getTime() - a.createdAt.getTime(),
  );
}

export const closeReasonLabels: Record<ReportCloseReason, string> = {
  feature_request: 'Feature request: handled with product planning, not as an incident',
  duplicate: 'Duplicate of something already reported',
  not_reproducible: 'Not reproducible',
};

export const kindLabels: Record<ReportKind, string> = {
  bug: 'Something is broken that used to work',
  feature: 'I need something new',
};
