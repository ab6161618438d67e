import { and, eq, inArray, ne } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { components, maintenanceComponents, maintenances } from '../../../db/schema/index.ts';
import { applyComponentStatus } from '../components/apply-component-status.ts';

/** Other windows in progress that cover a component, with what they remembered for it. */
async function otherActiveCover(tx: DbOrTx, maintenanceId: string, componentId: string) {
  return tx
    .select({ previousStatus: maintenanceComponents.previousStatus })
    .from(maintenanceComponents)
    .innerJoin(maintenances, eq(maintenances.id, maintenanceComponents.maintenanceId))
    .where(
      and(
        eq(maintenanceComponents.componentId, componentId),
        ne(maintenanceComponents.maintenanceId, maintenanceId),
        inArray(maintenances.status, ['in_progress', 'verifying']),
      ),
    );
}

/**
 * Puts a window's components under maintenance, remembering each one's status before. When an
 * overlapping window already holds a component, the status before *that* window is the one to
 * come back to.
 */
export async function putUnderMaintenance(
  tx: DbOrTx,
  maintenanceId: string,
  now: Date,
): Promise<{ componentId: string; previousStatus: string }[]> {
  const links = await tx
    .select()
    .from(maintenanceComponents)
    .where(eq(maintenanceComponents.maintenanceId, maintenanceId));
  const out: { componentId: string; previousStatus: string }[] = [];
  for (const l of links) {
    const [c] = await tx
      .select({ status: components.status })
      .from(components)
      .where(eq(components.id, l.componentId));
    if (!c) continue;
    let previous = c.status;
    if (previous === 'under_maintenance') {
      const [other] = await otherActiveCover(tx, maintenanceId, l.componentId);
      previous = other?.previousStatus ?? 'operational';
    }
    await tx
      .update(maintenanceComponents)
      .set({ previousStatus: previous })
      .where(
        and(
          eq(maintenanceComponents.maintenanceId, maintenanceId),
          eq(maintenanceComponents.componentId, l.componentId),
        ),
      );
    await applyComponentStatus(tx, l.componentId, 'under_maintenance', now, { maintenanceId });
    out.push({ componentId: l.componentId, previousStatus: previous });
  }
  return out;
}

/**
 * Gives a finished window's components back the status they had before it. A component still
 * covered by another window in progress stays under maintenance; one that something else (an
 * incident) has moved off under_maintenance meanwhile is left as it is.
 */
export async function restoreAfterMaintenance(
  tx: DbOrTx,
  maintenanceId: string,
  now: Date,
): Promise<{ componentId: string; status: string }[]> {
  const links = await tx
    .select()
    .from(maintenanceComponents)
    .where(eq(maintenanceComponents.maintenanceId, maintenanceId));
  const out: { componentId: string; status: string }[] = [];
  for (const l of links) {
    const [c] = await tx
      .select({ status: components.status })
      .from(components)
      .where(eq(components.id, l.componentId));
    if (!c || c.status !== 'under_maintenance') continue;
    if ((await otherActiveCover(tx, maintenanceId, l.componentId)).length > 0) continue;
    const back =
      l.previousStatus && l.previousStatus !== 'under_maintenance'
        ? l.previousStatus
        : 'operational';
    await applyComponentStatus(tx, l.componentId, back, now, { maintenanceId });
    out.push({ componentId: l.componentId, status: back });
  }
  return out;
}
