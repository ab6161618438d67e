import { eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  broadcasts,
  components,
  incidentComponents,
  incidents,
  lists,
  settings,
} from '../../../db/schema/index.ts';
import { incidentSubject } from '../../../emails/subjects.ts';
import { newId } from '../shared/ids.ts';
import { receivesPriority } from '../lists/list-rules.ts';

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
  if (!u.notify) return null;
  const [incident] = await tx.select().from(incidents).where(eq(incidents.id, u.incidentId));
  if (!incident) return null;
  const priority = u.priorityTo ?? incident.priority;
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
    .select({ id: incidentComponents.componentId, groupId: components.groupId })
    .from(incidentComponents)
    .innerJoin(components, eq(components.id, incidentComponents.componentId))
    .where(eq(incidentComponents.incidentId, incident.id));
  const matchIds = [...new Set(affected.flatMap((a) => (a.groupId ? [a.id, a.groupId] : [a.id])))];
  const componentFilter =
    matchIds.length === 0
      ? sql``
      : sql`AND (s.component_ids IS NULL OR json_array_length(s.component_ids) = 0
            OR EXISTS (SELECT 1 FROM json_each(s.component_ids) j WHERE j.value IN (SELECT value FROM json_each(${JSON.stringify(matchIds)}))))`;

  const [s] = await tx.select({ url: settings.publicUrl }).from(settings).where(eq(settings.id, 1));
  const host = hostOf(s?.url);
  // Ids and rows in subscriber-id order, so every index of deliveries grows at its end
  // instead of taking 100,000 random insertions.
  const result = await tx.run(sql`
    INSERT INTO deliveries (id, broadcast_id, subscriber_id, state, attempts, next_attempt_at, message_id)
    SELECT ${broadcastId} || '-' || printf('%07d', row_number() OVER (ORDER BY s.id)), ${broadcastId}, s.id, 'pending', 0,
           ${now.getTime()}, '<' || ${broadcastId} || '.' || s.id || '@' || ${host} || '>'
    FROM subscribers s
    WHERE s.list_id IN (SELECT value FROM json_each(${JSON.stringify(listIds)}))
      AND s.state = 'confirmed'
      ${componentFilter}
    ORDER BY s.id
    ON CONFLICT DO NOTHING`);
  const total = Number((result as { rowsAffected?: number }).rowsAffected ?? 0);
  await tx.update(broadcasts).set({ total }).where(eq(broadcasts.id, broadcastId));
  return { broadcastId, total };
}

function hostOf(url: string | null | undefined): string {
  try {
    return url ? new URL(url).hostname || 'localhost' : 'localhost';
  } catch {
    return 'localhost';
  }
}
