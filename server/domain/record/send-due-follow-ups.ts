import { and, eq, lte } from 'drizzle-orm';
import { followUps, incidents, reports } from '../../../db/schema/index.ts';
import { enqueueMessage } from '../outbox/enqueue-message.ts';
import { enqueueIncidentNotice } from '../broadcasts/enqueue-incident-notice.ts';
import { systemActor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { recordAudit } from '../shared/writes.ts';

/**
 * Sends every follow-up whose time has come, once: the row moves from scheduled to sent with a
 * conditional UPDATE in the transaction that queues its broadcast, so several processes (or a
 * pass that overlaps the next) never send it twice.
 */
export async function sendDueFollowUps(deps: DomainDeps) {
  const now = deps.clock.now();
  const due = await deps.db
    .select({ id: followUps.id, incidentId: followUps.incidentId })
    .from(followUps)
    .innerJoin(incidents, eq(incidents.id, followUps.incidentId))
    .where(
      and(
        eq(followUps.state, 'scheduled'),
        lte(followUps.scheduledFor, now),
        // Reopened since the all-clear: the follow-up waits for the next one.
        eq(incidents.status, 'resolved'),
      ),
    );
  const out: { incidentId: string; broadcastId: string | null; recipients: number }[] = [];
  for (const f of due) {
    const r = await deps.db.transaction(async (tx) => {
      const [claimed] = await tx
        .update(followUps)
        .set({ state: 'sent', sentAt: now, updatedAt: now })
        .where(and(eq(followUps.id, f.id), eq(followUps.state, 'scheduled')))
        .returning();
      if (!claimed) return null;
      const b = await enqueueIncidentNotice(
        tx,
        deps.config,
        { incidentId: f.incidentId, kind: 'incident_follow_up' },
        now,
      );
      if (b)
        await tx
          .update(followUps)
          .set({ broadcastId: b.broadcastId })
          .where(eq(followUps.id, f.id));
      // The people whose reports became this incident hear the follow-up too.
      const reporters = await tx
        .select({ id: reports.id, email: reports.reporterEmail })
        .from(reports)
        .where(eq(reports.incidentId, f.incidentId));
      for (const r of reporters)
        await enqueueMessage(
          tx,
          deps.config,
          { kind: 'report_follow', to: r.email, payload: { reportId: r.id, followUp: true } },
          now,
        );
      await recordAudit(tx, systemActor, now, {
        action: 'follow_up.send',
        objectType: 'incident',
        objectId: f.incidentId,
        after: {
          broadcastId: b?.broadcastId ?? null,
          recipients: b?.total ?? 0,
          reporters: reporters.map((r) => r.email),
        },
      });
      return {
        incidentId: f.incidentId,
        broadcastId: b?.broadcastId ?? null,
        recipients: b?.total ?? 0,
      };
    });
    if (r) out.push(r);
  }
  return out;
}
