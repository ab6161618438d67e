import { asc, desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  broadcasts,
  components,
  maintenanceComponents,
  maintenances,
  maintenanceUpdates,
} from '../../../db/schema/index.ts';
import { windowAnnounced } from './enqueue-maintenance-notice.ts';

/**
 * Windows for the admin: upcoming and running first (soonest first), then the most recent done
 * (completed or cancelled).
 */
export async function readMaintenanceList(db: DbOrTx, limit = 50) {
  const rows = await db
    .select()
    .from(maintenances)
    .orderBy(desc(maintenances.scheduledFor))
    .limit(limit);
  const over = (r: (typeof rows)[number]) => r.status === 'completed' || r.status === 'cancelled';
  const open = rows
    .filter((r) => !over(r))
    .sort((a, b) => a.scheduledFor.getTime() - b.scheduledFor.getTime());
  return { open, done: rows.filter(over) };
}

/**
 * One window with its components (and the status each had before), its steps newest first, its
 * emails, and whether subscribers heard of it (a cancellation or move then tells them).
 */
export async function readAdminMaintenance(db: DbOrTx, id: string) {
  const [m] = await db.select().from(maintenances).where(eq(maintenances.id, id));
  if (!m) return null;
  const comps = await db
    .select({
      componentId: maintenanceComponents.componentId,
      previousStatus: maintenanceComponents.previousStatus,
      name: components.name,
      status: components.status,
    })
    .from(maintenanceComponents)
    .innerJoin(components, eq(components.id, maintenanceComponents.componentId))
    .where(eq(maintenanceComponents.maintenanceId, id))
    .orderBy(asc(maintenanceComponents.position));
  const updates = await db
    .select()
    .from(maintenanceUpdates)
    .where(eq(maintenanceUpdates.maintenanceId, id))
    .orderBy(desc(maintenanceUpdates.displayAt), desc(maintenanceUpdates.createdAt));
  const notices = await db
    .select()
    .from(broadcasts)
    .where(eq(broadcasts.maintenanceId, id))
    .orderBy(asc(broadcasts.createdAt));
  const announced = m.notify && (await windowAnnounced(db, id));
  return { maintenance: m, components: comps, updates, notices, announced };
}
