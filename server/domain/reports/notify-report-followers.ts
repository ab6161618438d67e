import { and, eq, gt, inArray, isNotNull, isNull } from 'drizzle-orm';
import { incidentUpdates, reports, reportUpdateNotices } from '../../../db/schema/index.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';
import type { DomainDeps } from '../shared/deps.ts';

/**
 * A report declared as or merged into an incident makes its reporter a follower: every update
 * published after the decision is mailed to them once (the notice's key is the guard, so
 * several processes and repeated passes queue each email once). Only the public text goes out.
 */
export async function notifyReportFollowers(
  deps: DomainDeps,
): Promise<{ reportId: string; updateId: string }[]> {
  const now = deps.clock.now();
  const following = await deps.db
    .select()
    .from(reports)
    .where(
      and(
        inArray(reports.state, ['declared', 'merged']),
        isNotNull(reports.incidentId),
        // An alert's report has no reporter to follow the incident.
        isNull(reports.alertSource),
      ),
    );
  const out: { reportId: string; updateId: string }[] = [];
  for (const r of following) {
    if (!r.incidentId || !r.decidedAt) continue;
    const updates = await deps.db
      .select({ id: incidentUpdates.id })
      .from(incidentUpdates)
      .where(
        and(
          eq(incidentUpdates.incidentId, r.incidentId),
          eq(incidentUpdates.state, 'published'),
          gt(incidentUpdates.publishedAt, r.decidedAt),
        ),
      );
    for (const u of updates) {
      const queued = await deps.db.transaction(async (tx) => {
        const claimed = await tx
          .insert(reportUpdateNotices)
          .values({ reportId: r.id, updateId: u.id, queuedAt: now })
          .onConflictDoNothing()
          .returning({ reportId: reportUpdateNotices.reportId });
        if (claimed.length !== 1) return false;
        await enqueueMessage(
          tx,
          deps.config,
          {
            kind: 'report_follow',
            to: r.reporterEmail,
            payload: { reportId: r.id, updateId: u.id },
          },
          now,
        );
        return true;
      });
      if (queued) out.push({ reportId: r.id, updateId: u.id });
    }
  }
  return out;
}
