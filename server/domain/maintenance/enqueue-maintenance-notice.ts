import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  broadcasts,
  deliveries,
  maintenanceComponents,
  maintenances,
} from '../../../db/schema/index.ts';
import { listTakesMaintenance, readAudienceAwareLists } from '../lists/list-reading.ts';
import { type MaintenanceNoticeKind, maintenanceSubject } from '../shared/maintenance-subject.ts';
import { newId } from '../shared/ids.ts';
import type { MessageIdConfig } from '../outbox/message-id.ts';
import { queueDeliveries } from '../broadcasts/queue-deliveries.ts';

/** Which notices a window sends, per its notify switches. */
export function noticeWanted(
  m: Pick<
    typeof maintenances.$inferSelect,
    'notify' | 'notifyOnSchedule' | 'notifyReminder' | 'notifyOnStart' | 'notifyOnComplete'
  >,
  kind: MaintenanceNoticeKind,
): boolean {
  if (!m.notify) return false;
  switch (kind) {
    case 'maintenance_scheduled':
      return m.notifyOnSchedule;
    case 'maintenance_reminder':
      return m.notifyReminder;
    case 'maintenance_started':
      return m.notifyOnStart;
    case 'maintenance_completed':
      return m.notifyOnComplete;
    // Corrections of what subscribers were told: the caller checks that they were told.
    case 'maintenance_cancelled':
    case 'maintenance_moved':
      return true;
  }
}

/**
 * Whether subscribers heard of this window: its announcement or reminder reached (or is being
 * handed to) at least one of them. A cancellation or move is only mailed then; an announcement
 * still waiting in the queue is skipped at send time instead (kinds/maintenance.ts), or goes
 * out with the new times.
 */
export async function windowAnnounced(tx: DbOrTx, maintenanceId: string): Promise<boolean> {
  const [hit] = await tx
    .select({ id: deliveries.id })
    .from(deliveries)
    .innerJoin(broadcasts, eq(broadcasts.id, deliveries.broadcastId))
    .where(
      and(
        eq(broadcasts.maintenanceId, maintenanceId),
        inArray(broadcasts.kind, ['maintenance_scheduled', 'maintenance_reminder']),
        inArray(deliveries.state, ['sent', 'sending']),
      ),
    )
    .limit(1);
  return hit !== undefined;
}

/**
 * Queues a maintenance notice (broadcasts.kind = maintenance_*, maintenance_id set) with one
 * pending delivery per recipient, in the caller's transaction, exactly as incident broadcasts
 * are queued: the outbox worker sends them. Recipients: confirmed subscribers of every
 * non-drill list (maintenance has no priority; an audience's list when its audience sees one of
 * the window's components), filtered by the components they chose; a window that names no
 * component goes to everyone.
 */
export async function enqueueMaintenanceNotice(
  tx: DbOrTx,
  config: MessageIdConfig,
  maintenanceId: string,
  kind: MaintenanceNoticeKind,
  now: Date,
  /** The window's step this notice tells of: its body is the mail's. */
  updateId: string | null = null,
): Promise<{ broadcastId: string; total: number } | null> {
  const [m] = await tx.select().from(maintenances).where(eq(maintenances.id, maintenanceId));
  if (!m || !noticeWanted(m, kind)) return null;
  const affected = await tx
    .select({ id: maintenanceComponents.componentId })
    .from(maintenanceComponents)
    .where(eq(maintenanceComponents.maintenanceId, m.id));
  const componentIds = affected.map((a) => a.id);
  const listIds = (await readAudienceAwareLists(tx))
    .filter((l) => listTakesMaintenance(l, componentIds))
    .map((l) => l.id);
  if (listIds.length === 0) return null;

  const broadcastId = newId();
  await tx.insert(broadcasts).values({
    id: broadcastId,
    kind,
    maintenanceId: m.id,
    updateId,
    subject: maintenanceSubject(kind, m),
    isDrill: false,
    total: 0,
    createdAt: now,
  });

  const total = await queueDeliveries(tx, config, { broadcastId, listIds, componentIds }, now);
  return { broadcastId, total };
}
