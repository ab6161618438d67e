import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  type ComponentStatus,
  componentStatusChanges,
  components,
} from '../../../db/schema/index.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { queueComponentWebhooks } from '../webhooks/queue-webhook-deliveries.ts';

/**
 * Sets one component's status inside the caller's transaction and records the change in the
 * status history (the source of uptime bars). Returns the old status. Groups have no status of
 * their own: theirs is their worst child's.
 */
export async function applyComponentStatus(
  tx: DbOrTx,
  componentId: string,
  status: ComponentStatus,
  now: Date,
  cause: { incidentId?: string; maintenanceId?: string } = {},
): Promise<ComponentStatus> {
  const [row] = await tx.select().from(components).where(eq(components.id, componentId));
  if (!row) throw new NotFoundError('component', componentId);
  if (row.isGroup)
    throw new ValidationError(`"${row.name}" is a group; set the status of its components.`, {
      components: 'groups have no status of their own',
    });
  if (row.status !== status) {
    await tx
      .update(components)
      .set({ status, updatedAt: now })
      .where(eq(components.id, componentId));
    await tx.insert(componentStatusChanges).values({
      id: newId(),
      componentId,
      oldStatus: row.status,
      newStatus: status,
      incidentId: cause.incidentId ?? null,
      maintenanceId: cause.maintenanceId ?? null,
      changedAt: now,
    });
    await queueComponentWebhooks(
      tx,
      { componentId, oldStatus: row.status, newStatus: status, incidentId: cause.incidentId },
      now,
    );
  }
  return row.status;
}
