import { and, eq, isNull } from 'drizzle-orm';
import { reportEvents, reports } from '../../../db/schema/index.ts';
import { enqueueMessageToEach } from '../outbox/enqueue-message.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError, LinkNotValidError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { publicActor } from '../subscribers/public-actor.ts';
import { hashToken } from '../subscribers/tokens.ts';
import { NO_PUBLIC_CHANGE, bumpChanges, recordAudit } from '../shared/writes.ts';
import { escalateReportInput } from './inputs.ts';
import { readAuthorityAddresses } from './report-views.ts';

/** Whether the reporter may still escalate: after a re-rating, once. */
export function canEscalate(
  report: { reporterEscalatedAt: Date | null; priority: number; reportedPriority: number },
  events: { action: string }[],
): boolean {
  return (
    report.reporterEscalatedAt === null &&
    report.priority !== report.reportedPriority &&
    events.some((e) => e.action === 'rerate')
  );
}

/**
 * A reporter who disagrees with a re-rating escalates once, from their private status page, to
 * the person settings name as the final authority.
 */
export async function escalateReport(deps: DomainDeps, raw: { token: string; reason: string }) {
  const input = parseInput(escalateReportInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [report] = await tx
      .select()
      .from(reports)
      .where(eq(reports.statusTokenHash, hashToken(input.token)));
    if (!report)
      throw new LinkNotValidError('No report has this link. Use the link in your receipt.').saying(
        'rstatus.notFound',
      );
    const events = await tx.select().from(reportEvents).where(eq(reportEvents.reportId, report.id));
    if (!canEscalate(report, events))
      throw report.reporterEscalatedAt
        ? new ConflictError(
            'You already escalated this report; the final authority has it.',
          ).saying('rstatus.alreadyEscalated')
        : new ConflictError('Only a re-rated report can be escalated.').saying(
            'rstatus.onlyRerated',
          );
    const claimed = await tx
      .update(reports)
      .set({ reporterEscalatedAt: now, updatedAt: now })
      .where(and(eq(reports.id, report.id), isNull(reports.reporterEscalatedAt)))
      .returning({ id: reports.id });
    if (claimed.length !== 1)
      throw new ConflictError(
        'You already escalated this report; the final authority has it.',
      ).saying('rstatus.alreadyEscalated');
    const eventId = newId();
    await tx.insert(reportEvents).values({
      id: eventId,
      reportId: report.id,
      action: 'escalate',
      priority: report.priority,
      reason: input.reason,
      actorLabel: report.reporterEmail,
      at: now,
    });
    const to = await readAuthorityAddresses(tx);
    await enqueueMessageToEach(
      tx,
      deps.config,
      { kind: 'report_alert', to, payload: { reportId: report.id, alert: 'escalation', eventId } },
      now,
    );
    await recordAudit(tx, { ...publicActor, label: report.reporterEmail }, now, {
      action: 'report.escalate',
      objectType: 'report',
      objectId: report.id,
      after: { reason: input.reason, to },
    });
    await bumpChanges(tx, now, NO_PUBLIC_CHANGE);
    return { reportId: report.id, escalatedTo: to };
  });
}
