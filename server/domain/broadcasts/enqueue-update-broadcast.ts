import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { broadcasts, incidentComponents, incidents, lists } from '../../../db/schema/index.ts';
import { incidentSubject } from './subjects.ts';
import { newId } from '../shared/ids.ts';
import { queueDeliveries } from './queue-deliveries.ts';
import { receivesPriority } from '../lists/list-rules.ts';
import { queueIncidentWebhooks } from '../webhooks/queue-webhook-deliveries.ts';

export type BroadcastKind = 'incident_update' | 'incident_resolved';

export interface PublishedUpdateRef {
  updateId: string;
  incidentId: string;
  status: string;
  notify: boolean;
  /** Set when this update changed the priority: the broadcast follows the new one. */
  priorityTo?: number | null;
}

/**
 * Creates the broadcast for a published update and one pending delivery per recipient, in the
 * caller's transaction (the one that publishes the update), so nothing is lost or doubled.
 *
 * Recipients: confirmed subscribers of every list that receives the incident's priority;
 * drills reach drill lists only and real incidents never do; subscribers who chose components
 * get it when one of the incident's components (or its group) is among them. An incident that
 * names no component goes to everyone, since nobody can tell what it spares.
 *
 * Deliveries are written with one INSERT ... SELECT: 100,000 recipients never pass through
 * this process's memory.
 */
export async function enqueueUpdateBroadcast(
  tx: DbOrTx,
  u: PublishedUpdateRef,
  now: Date,
): Promise<{ broadcastId: string; total: number } | null> {
  const [incident] = await tx.select().from(incidents).where(eq(incidents.id, u.incidentId));
  if (!incident) return null;
  const priority = u.priorityTo ?? incident.priority;
  await queueIncidentWebhooks(tx, { ...u, priority }, now);
  if (!u.notify) return null;
  const allLists = await tx.select().from(lists);
  const listIds = allLists
    .filter((l) => l.isDrill === incident.isDrill && receivesPriority(l, priority))
    .map((l) => l.id);
  if (listIds.length === 0) return null;

  const kind: BroadcastKind = u.status === 'resolved' ? 'incident_resolved' : 'incident_update';
  const broadcastId = newId();
  await tx.insert(broadcasts).values({
    id: broadcastId,
    kind,
    incidentId: incident.id,
    updateId: u.updateId,
    subject: incidentSubject(kind === 'incident_resolved' ? 'resolved' : 'update', {
      priority,
      title: incident.title,
      isDrill: incident.isDrill,
    }),
    isDrill: incident.isDrill,
    total: 0,
    createdAt: now,
  });

  const affected = await tx
    .select({ id: incidentComponents.componentId })
    .from(incidentComponents)
    .where(eq(incidentComponents.incidentId, incident.id));
  const total = await queueDeliveries(
    tx,
    { broadcastId, listIds, componentIds: affected.map((a) => a.id) },
    now,
  );
  return { broadcastId, total };
}
