import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { incidents, reportEvents, reports } from '../../../db/schema/index.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';
import { declareIncident } from '../incidents/declare-incident.ts';
import type { DeclareIncidentInput } from '../incidents/inputs.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import type { Config } from '../../config.ts';
import { decideReportInput } from './inputs.ts';
import { adminReportUrl } from './report-tokens.ts';
import { type ReportRow, readReportRow } from './report-views.ts';

/** Declared, merged and closed reports are done; accepted ones can still become incidents. */
const decidable = ['open', 'accepted'] as const;

export const decideReportApiInput = decideReportInput;

async function loadDecidable(tx: DbOrTx, reportId: string): Promise<ReportRow> {
  const row = await readReportRow(tx, reportId);
  if (!row) throw new NotFoundError('report', reportId);
  if (!(decidable as readonly string[]).includes(row.state))
    throw new ConflictError(
      `This report is already ${row.state}; reopen nothing, file a new report if something changed.`,
    );
  return row;
}

/** The decision's row, the email to the reporter, the audit entry: in the caller's transaction. */
async function recordDecision(
  tx: DbOrTx,
  config: Pick<Config, 'publicUrl'>,
  actor: Actor,
  now: Date,
  before: ReportRow,
  change: Partial<ReportRow> & { state: ReportRow['state'] },
  event: { action: 'accept' | 'rerate' | 'declare' | 'merge' | 'close'; reason: string | null },
) {
  // Conditional on the state read: of two people deciding at once, one wins, one gets a 409.
  const done = await tx
    .update(reports)
    .set({ ...change, decidedAt: before.decidedAt ?? now, updatedAt: now })
    .where(and(eq(reports.id, before.id), inArray(reports.state, [...decidable])))
    .returning({ id: reports.id });
  if (done.length !== 1) throw new ConflictError('Someone else decided this report just now.');
  const eventId = newId();
  const priority = change.priority ?? before.priority;
  await tx.insert(reportEvents).values({
    id: eventId,
    reportId: before.id,
    action: event.action,
    priority,
    reason: event.reason,
    incidentId: change.incidentId ?? null,
    actorLabel: actor.label,
    at: now,
  });
  // A monitoring system filed an alert's report: there is nobody to mail the decision to.
  if (!before.alertSource)
    await enqueueMessage(
      tx,
      config,
      {
        kind: 'report_decision',
        to: before.reporterEmail,
        payload: { reportId: before.id, eventId },
      },
      now,
    );
  await recordAudit(tx, actor, now, {
    action: `report.${event.action}`,
    objectType: 'report',
    objectId: before.id,
    before: { state: before.state, priority: before.priority, incidentId: before.incidentId },
    after: { ...change, reason: event.reason },
  });
  await bumpChanges(tx, now);
  return { reportId: before.id, action: event.action, state: change.state, priority, eventId };
}

/**
 * The PM's decision on a report: accept its priority, re-rate it (the reason goes to the
 * reporter), merge it into an open incident, close it, or declare an incident from it.
 */
export const decideReport = verb(decideReportInput, decideReportParsed);
async function decideReportParsed(
  deps: DomainDeps,
  input: Parsed<typeof decideReportInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  if (input.action === 'declare') {
    const report = await loadDecidable(deps.db, input.reportId);
    return declareFromReport(
      deps,
      {
        reportId: input.reportId,
        incident: {
          ...declareDefaults(report, deps.config.publicUrl),
          title: input.title!,
          ...(input.priority !== undefined ? { priority: input.priority } : {}),
        },
        reason: input.reason ?? null,
      },
      actor,
    );
  }
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await loadDecidable(tx, input.reportId);
    const reason = input.reason?.trim() || null;
    const decide = (
      change: Parameters<typeof recordDecision>[5],
      action: Parameters<typeof recordDecision>[6]['action'],
    ) => recordDecision(tx, deps.config, actor, now, before, change, { action, reason });
    switch (input.action) {
      case 'accept':
        return decide({ state: 'accepted' }, 'accept');
      case 'rerate':
        if (input.priority === before.priority)
          throw new ValidationError(`The report is already P${before.priority}.`, {
            priority: 'pick a different priority, or accept it',
          });
        return decide({ state: 'accepted', priority: input.priority! }, 'rerate');
      case 'merge': {
        const [inc] = await tx
          .select({
            id: incidents.id,
            status: incidents.status,
            publishedAt: incidents.publishedAt,
            isDrill: incidents.isDrill,
          })
          .from(incidents)
          .where(eq(incidents.id, input.incidentId!));
        if (!inc || !inc.publishedAt || inc.status === 'resolved')
          throw new ValidationError('Merge into an open incident.', {
            incidentId: inc ? 'that incident is resolved' : 'no such incident',
          });
        // A drill looks real (real title, real components); a report merged into it would end
        // its timebox and tell the reporter it joined an incident that nobody is fixing.
        if (inc.isDrill)
          throw new ValidationError(
            'That incident is a drill: a real report cannot join it. Merge into a real open incident, or declare an incident from the report.',
            { incidentId: 'that incident is a drill' },
          );
        return decide({ state: 'merged', incidentId: inc.id }, 'merge');
      }
      case 'close':
        return decide({ state: 'closed', closeReason: input.closeReason! }, 'close');
      default:
        throw new ValidationError('Pick a decision.', { action: 'unknown decision' });
    }
  });
}

/**
 * The declare form as a report pre-fills it: priority, components, the link to it. Never the
 * title: the reporter's sentence is internal, and a pre-filled title goes public unless the PM
 * remembers to edit it; the form shows the report's words beside the empty field instead.
 */
export function declareDefaults(report: ReportRow, publicUrl: string) {
  return {
    priority: report.priority,
    body: 'We are investigating reports of this problem. We will post an update soon.',
    internalNote: `Declared from report ${adminReportUrl(publicUrl.replace(/\/+$/, ''), report.id)} by ${report.reporterEmail}.\nAffected: ${report.affected}\nStarted: ${report.startedWhen}`,
    components: (report.componentIds ?? []).map((componentId) => ({
      componentId,
      status: report.priority <= 1 ? ('major_outage' as const) : ('partial_outage' as const),
    })),
  };
}

/**
 * Declares an incident from a report. The incident is declared first (its own transaction, with
 * the report linked in its internal note); the report is then marked conditionally. Should
 * someone have decided the report in between, the incident stands and the caller hears 409.
 */
export async function declareFromReport(
  deps: DomainDeps,
  input: { reportId: string; incident: DeclareIncidentInput; reason?: string | null },
  actor: Actor,
  /** Told once the incident stands, before the report is marked (which may still fail). */
  onDeclared?: (incidentId: string) => void,
) {
  assertRole(actor, 'responder');
  await loadDecidable(deps.db, input.reportId);
  const { incident } = await declareIncident(deps, input.incident, actor);
  onDeclared?.(incident.id);
  const now = deps.clock.now();
  const decision = await deps.db.transaction(async (tx) => {
    const before = await loadDecidable(tx, input.reportId);
    return recordDecision(
      tx,
      deps.config,
      actor,
      now,
      before,
      { state: 'declared', incidentId: incident.id, priority: incident.priority },
      { action: 'declare', reason: input.reason ?? null },
    );
  });
  return { ...decision, incidentId: incident.id };
}
