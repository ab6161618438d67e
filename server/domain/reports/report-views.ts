import { and, asc, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  incidents,
  incidentUpdates,
  reportAlerts,
  reportAttachments,
  reportEvents,
  reportLinks,
  reports,
} from '../../../db/schema/index.ts';
import { getSettings } from '../settings/get-settings.ts';
import { readActiveAddress } from '../users/active-user.ts';
import { readAdminAddresses, readOnDutyAddresses, readSomeoneOnDuty } from '../users/on-duty.ts';
import { hashToken } from '../subscribers/tokens.ts';
import { queueOrder, type Timebox, timeboxOf, weekStart } from './triage-rules.ts';

export type ReportRow = typeof reports.$inferSelect;
export type ReportEventRow = typeof reportEvents.$inferSelect;

export async function readReportRow(db: DbOrTx, id: string): Promise<ReportRow | undefined> {
  const [row] = await db.select().from(reports).where(eq(reports.id, id));
  return row;
}

async function readEvents(db: DbOrTx, reportId: string) {
  return db
    .select()
    .from(reportEvents)
    .where(eq(reportEvents.reportId, reportId))
    .orderBy(asc(reportEvents.at));
}

async function readIncidentBrief(db: DbOrTx, id: string | null) {
  if (!id) return null;
  const [row] = await db
    .select({
      id: incidents.id,
      title: incidents.title,
      status: incidents.status,
      priority: incidents.priority,
      isDrill: incidents.isDrill,
    })
    .from(incidents)
    .where(eq(incidents.id, id));
  return row ?? null;
}

/** The attachment's metadata (never its bytes) for pages. */
async function readAttachmentMeta(db: DbOrTx, reportId: string) {
  const [row] = await db
    .select({
      fileName: reportAttachments.fileName,
      contentType: reportAttachments.contentType,
      size: reportAttachments.size,
    })
    .from(reportAttachments)
    .where(eq(reportAttachments.reportId, reportId));
  return row ?? null;
}

/** The bytes of a report's attachment: only signed-in users' pages call this. */
export async function readReportAttachment(db: DbOrTx, reportId: string) {
  const [row] = await db
    .select()
    .from(reportAttachments)
    .where(eq(reportAttachments.reportId, reportId));
  return row ?? null;
}

export interface QueuedReport {
  report: ReportRow;
  waitedMs: number;
  timebox: Timebox | null;
}

/** Open reports as triage sees them: P0/P1 first, newest first, with their timebox. */
export async function readReportQueue(db: DbOrTx, now: Date): Promise<QueuedReport[]> {
  const s = await getSettings(db);
  const rows = await db.select().from(reports).where(eq(reports.state, 'open'));
  return queueOrder(rows).map((report) => ({
    report,
    waitedMs: now.getTime() - report.createdAt.getTime(),
    timebox: timeboxOf(report, s, now),
  }));
}

/** Reports by state for the API (`state=open` is the queue). */
export async function readReportsByState(db: DbOrTx, state: ReportRow['state'] | null) {
  const rows = await db
    .select()
    .from(reports)
    .where(state ? eq(reports.state, state) : undefined)
    .orderBy(desc(reports.createdAt))
    .limit(500);
  return state === 'open' ? queueOrder(rows) : rows;
}

/** One report as triage sees it: answers, history, attachment, linked incident. */
export async function readAdminReport(db: DbOrTx, id: string, now: Date) {
  const report = await readReportRow(db, id);
  if (!report) return null;
  const s = await getSettings(db);
  return {
    report,
    events: await readEvents(db, id),
    attachment: await readAttachmentMeta(db, id),
    incident: await readIncidentBrief(db, report.incidentId),
    timebox: report.state === 'open' ? timeboxOf(report, s, now) : null,
    alerts: report.alertSource ? await readReportAlerts(db, id) : [],
  };
}

/** The reporter's private status page, found by the hash of its link's token. */
export async function readReportByStatusToken(db: DbOrTx, token: string) {
  const [report] = await db
    .select()
    .from(reports)
    .where(eq(reports.statusTokenHash, hashToken(token)));
  if (!report) return null;
  return {
    report,
    events: await readEvents(db, report.id),
    incident: await readIncidentBrief(db, report.incidentId),
    hasAttachment: (await readAttachmentMeta(db, report.id)) !== null,
  };
}

/** What the report emails are rendered from at send time. */
export async function readReportMailContext(db: DbOrTx, reportId: string, eventId?: string) {
  const report = await readReportRow(db, reportId);
  if (!report) return null;
  const [event] = eventId
    ? await db.select().from(reportEvents).where(eq(reportEvents.id, eventId))
    : [];
  return {
    report,
    event: event ?? null,
    incident: await readIncidentBrief(db, report.incidentId),
    settings: await getSettings(db),
  };
}

export async function readReportLinkRow(db: DbOrTx, id: string) {
  const [row] = await db.select().from(reportLinks).where(eq(reportLinks.id, id));
  return row ?? null;
}

export async function readIncidentUpdateForMail(db: DbOrTx, updateId: string) {
  const [row] = await db
    .select({
      id: incidentUpdates.id,
      body: incidentUpdates.body,
      translations: incidentUpdates.translations,
      status: incidentUpdates.status,
      incidentId: incidentUpdates.incidentId,
    })
    .from(incidentUpdates)
    .where(eq(incidentUpdates.id, updateId));
  return row ?? null;
}

/** The final authority's address; with none named, every admin's, so escalations reach someone. */
export async function readAuthorityAddresses(db: DbOrTx): Promise<string[]> {
  const authority = await readActiveAddress(db, (await getSettings(db)).finalAuthorityUserId);
  return authority ? [authority] : readAdminAddresses(db);
}

export { readOnDutyAddresses, readSomeoneOnDuty };

export interface P1Week {
  weekStart: Date;
  count: number;
}

/**
 * P1s per week (Monday 00:00 UTC): P1 incidents declared (drills left out) plus P1 reports the
 * team accepted without declaring an incident, so neither is counted twice.
 */
export async function readP1Budget(db: DbOrTx, now: Date, weeks = 8) {
  const s = await getSettings(db);
  const thisWeek = weekStart(now);
  const from = new Date(thisWeek.getTime() - (weeks - 1) * 7 * 86_400_000);
  const incs = await db
    .select({ at: incidents.startedAt })
    .from(incidents)
    .where(
      and(eq(incidents.priority, 1), eq(incidents.isDrill, false), gte(incidents.startedAt, from)),
    );
  const accepted = await db
    .select({ at: reports.decidedAt })
    .from(reports)
    .where(and(eq(reports.priority, 1), eq(reports.state, 'accepted'), eq(reports.kind, 'bug')));
  const series: P1Week[] = [];
  for (let i = weeks - 1; i >= 0; i--)
    series.push({ weekStart: new Date(thisWeek.getTime() - i * 7 * 86_400_000), count: 0 });
  for (const { at } of [...incs, ...accepted]) {
    if (!at || at.getTime() < from.getTime()) continue;
    const w = series.find((x) => x.weekStart.getTime() === weekStart(at).getTime());
    if (w) w.count += 1;
  }
  const current = series[series.length - 1]!.count;
  return {
    budget: s.p1BudgetPerWeek,
    thisWeek: current,
    over: current > s.p1BudgetPerWeek,
    weeks: series,
  };
}

/** Open incidents a report can be merged into: never a drill. */
export async function readOpenIncidents(db: DbOrTx) {
  return db
    .select({ id: incidents.id, title: incidents.title, priority: incidents.priority })
    .from(incidents)
    .where(
      and(
        sql`${incidents.status} != 'resolved'`,
        sql`${incidents.publishedAt} is not null`,
        eq(incidents.isDrill, false),
      ),
    )
    .orderBy(desc(incidents.startedAt));
}

export async function readReportsForIncident(db: DbOrTx, incidentIds: string[]) {
  if (incidentIds.length === 0) return [];
  return db.select().from(reports).where(inArray(reports.incidentId, incidentIds));
}

/** The alerts a report from a monitoring system lists, firing ones first. */
export async function readReportAlerts(db: DbOrTx, reportId: string) {
  const rows = await db
    .select()
    .from(reportAlerts)
    .where(eq(reportAlerts.reportId, reportId))
    .orderBy(asc(reportAlerts.firstSeenAt));
  return [...rows].sort((a, b) => (a.status === b.status ? 0 : a.status === 'firing' ? -1 : 1));
}

/** The reporters who follow an incident (their report was declared as or merged into it). */
export async function countReportFollowers(db: DbOrTx, incidentId: string): Promise<number> {
  const rows = await db
    .selectDistinct({ email: reports.reporterEmail })
    .from(reports)
    .where(and(eq(reports.incidentId, incidentId), inArray(reports.state, ['declared', 'merged'])));
  return rows.length;
}
