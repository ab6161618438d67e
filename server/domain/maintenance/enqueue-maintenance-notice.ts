import { eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  broadcasts,
  components,
  lists,
  maintenanceComponents,
  maintenances,
  settings,
} from '../../../db/schema/index.ts';
import {
  type MaintenanceNoticeKind,
  maintenanceSubject,
} from '../../../emails/maintenance-subject.ts';
import { newId } from '../shared/ids.ts';

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
  }
}

/**
 * Queues a maintenance notice (broadcasts.kind = maintenance_*, maintenance_id set) with one
 * pending delivery per recipient, in the caller's transaction, exactly as incident broadcasts
 * are queued: the outbox worker sends them. Recipients: confirmed subscribers of every
 * non-drill list (maintenance has no priority), filtered by the components they chose; a
 * window that names no component goes to everyone.
 */
export async function enqueueMaintenanceNotice(
  tx: DbOrTx,
  maintenanceId: string,
  kind: MaintenanceNoticeKind,
  now: Date,
): Promise<{ broadcastId: string; total: number } | null> {
  const [m] = await tx.select().from(maintenances).where(eq(maintenances.id, maintenanceId));
  if (!m || !noticeWanted(m, kind)) return null;
  const listIds = (
    await tx.select({ id: lists.id }).from(lists).where(eq(lists.isDrill, false))
  ).map((l) => l.id);
  if (listIds.length === 0) return null;

  const broadcastId = newId();
  await tx.insert(broadcasts).values({
    id: broadcastId,
    kind,
    maintenanceId: m.id,
    subject: maintenanceSubject(kind, m),
    isDrill: false,
    total: 0,
    createdAt: now,
  });

  const affected = await tx
    .select({ id: maintenanceComponents.componentId, groupId: components.groupId })
    .from(maintenanceComponents)
    .innerJoin(components, eq(components.id, maintenanceComponents.componentId))
    .where(eq(maintenanceComponents.maintenanceId, m.id));
  const matchIds = [...new Set(affected.flatMap((a) => (a.groupId ? [a.id, a.groupId] : [a.id])))];
  const componentFilter =
    matchIds.length === 0
      ? sql``
      : sql`AND (s.component_ids IS NULL OR json_array_length(s.component_ids) = 0
            OR EXISTS (SELECT 1 FROM json_each(s.component_ids) j WHERE j.value IN (SELECT value FROM json_each(${JSON.stringify(matchIds)}))))`;
  const [s] = await tx.select({ url: settings.publicUrl }).from(settings).where(eq(settings.id, 1));
  const host = hostOf(s?.url);
  const result = await tx.run(sql`
    INSERT INTO deliveries (id, broadcast_id, subscriber_id, state, attempts, next_attempt_at, message_id)
    SELECT lower(hex(randomblob(10))), ${broadcastId}, s.id, 'pending', 0, ${now.getTime()},
           '<' || ${broadcastId} || '.' || s.id || '@' || ${host} || '>'
    FROM subscribers s
    WHERE s.list_id IN (SELECT value FROM json_each(${JSON.stringify(listIds)}))
      AND s.state = 'confirmed'
      ${componentFilter}
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
