import { and, asc, eq, lte } from 'drizzle-orm';
import { incidentUpdates, updateAffectedComponents } from '../../../db/schema/index.ts';
import { systemActor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { loadIncident } from './load-incident.ts';
import { defaultPromiseMinutes, isBroadcastPriority, readPromiseDefaults } from './promise.ts';
import { writePublishedUpdate } from './write-update.ts';

/** Published later than this after its time, an update counts as late (Herald was down). */
export const LATE_AFTER_MS = 60_000;

/** A scheduled update's promise moves by however late the update goes out. */
export function shiftPromise(due: Date | null, scheduledFor: Date, publishedAt: Date): Date | null {
  if (!due) return null;
  const delay = Math.max(0, publishedAt.getTime() - scheduledFor.getTime());
  return new Date(due.getTime() + delay);
}

export function isLate(scheduledFor: Date, publishedAt: Date): boolean {
  return publishedAt.getTime() - scheduledFor.getTime() > LATE_AFTER_MS;
}

export interface PublishedScheduled {
  updateId: string;
  incidentId: string;
  late: boolean;
  skipped?: 'incident_resolved';
}

/**
 * Publishes every scheduled update whose time has come. Each one is claimed by a conditional
 * UPDATE on its state inside its own write transaction, so with several Herald processes on
 * one database (or a restart mid-way) each update is published exactly once: whoever claims
 * second finds no 'scheduled' row and moves on. The intended time stays as display_at; one
 * that went out late (Herald was down) is audited as such for the admin.
 */
export async function publishDueUpdates(
  deps: DomainDeps,
  limit = 100,
): Promise<PublishedScheduled[]> {
  const now = deps.clock.now();
  const due = await deps.db
    .select({ id: incidentUpdates.id })
    .from(incidentUpdates)
    .where(and(eq(incidentUpdates.state, 'scheduled'), lte(incidentUpdates.scheduledFor, now)))
    .orderBy(asc(incidentUpdates.scheduledFor), asc(incidentUpdates.createdAt))
    .limit(limit);
  const out: PublishedScheduled[] = [];
  for (const { id } of due) {
    const result = await deps.db.transaction(async (tx) => {
      const [claimed] = await tx
        .update(incidentUpdates)
        .set({ state: 'published', publishedAt: now, updatedAt: now })
        .where(and(eq(incidentUpdates.id, id), eq(incidentUpdates.state, 'scheduled')))
        .returning();
      if (!claimed) return null;
      const incident = await loadIncident(tx, claimed.incidentId);
      const scheduledFor = claimed.scheduledFor ?? now;
      const late = isLate(scheduledFor, now);
      const status = claimed.statusChanged ? claimed.status : incident.status;
      if (incident.status === 'resolved' && status !== 'resolved') {
        // The incident was resolved after this was written: going out now would reopen it.
        await tx
          .update(incidentUpdates)
          .set({ state: 'cancelled', publishedAt: null })
          .where(eq(incidentUpdates.id, id));
        await recordAudit(tx, systemActor, now, {
          action: 'incident_update.skip_scheduled',
          objectType: 'incident_update',
          objectId: id,
          after: {
            reason: 'The incident was resolved before this scheduled update was due.',
            scheduledFor,
          },
        });
        return {
          updateId: id,
          incidentId: incident.id,
          late,
          skipped: 'incident_resolved' as const,
        };
      }
      const intended = await tx
        .select({
          componentId: updateAffectedComponents.componentId,
          status: updateAffectedComponents.newStatus,
        })
        .from(updateAffectedComponents)
        .where(eq(updateAffectedComponents.updateId, id));
      let nextDue =
        status === 'resolved' ? null : shiftPromise(claimed.nextUpdateDueAt, scheduledFor, now);
      if (!nextDue && status !== 'resolved' && isBroadcastPriority(incident.priority)) {
        const minutes = defaultPromiseMinutes(await readPromiseDefaults(tx), incident.priority);
        if (minutes !== undefined) nextDue = new Date(now.getTime() + minutes * 60_000);
      }
      await writePublishedUpdate(
        tx,
        deps.config,
        incident,
        {
          status,
          statusChanged: incident.publishedAt === null || status !== incident.status,
          body: claimed.body,
          translations: claimed.translations,
          internalNote: claimed.internalNote,
          notify: claimed.notify,
          nextUpdateDueAt: nextDue,
          authorId: claimed.authorId,
          components: intended,
          existingUpdateId: id,
          displayAt: scheduledFor,
        },
        now,
      );
      await recordAudit(tx, systemActor, now, {
        action: late ? 'incident_update.published_late' : 'incident_update.publish_scheduled',
        objectType: 'incident_update',
        objectId: id,
        after: {
          incidentId: incident.id,
          scheduledFor,
          publishedAt: now,
          lateByMs: late ? now.getTime() - scheduledFor.getTime() : 0,
          incidentPublished: incident.publishedAt === null,
        },
      });
      await bumpChanges(tx, now);
      return { updateId: id, incidentId: incident.id, late };
    });
    if (result) out.push(result);
  }
  return out;
}
