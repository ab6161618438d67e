import { and, eq, inArray, isNotNull, ne } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  type ComponentStatus,
  type IncidentStatus,
  incidentComponents,
  incidents,
  incidentUpdates,
  updateAffectedComponents,
} from '../../../db/schema/index.ts';
import { applyComponentStatus } from '../components/apply-component-status.ts';
import { enqueueUpdateBroadcast } from '../broadcasts/enqueue-update-broadcast.ts';
import { newId } from '../shared/ids.ts';
import { worstComponentStatus } from '../status/rollup.ts';

export interface UpdateRow {
  incidentId: string;
  status: IncidentStatus;
  statusChanged: boolean;
  body: string;
  internalNote: string | null;
  notify: boolean;
  nextUpdateDueAt: Date | null;
  authorId: string | null;
  components: { componentId: string; status: ComponentStatus }[];
  priorityFrom?: number | null;
  priorityTo?: number | null;
  priorityReason?: string | null;
  automatic?: boolean;
}

/**
 * Writes one published update inside the caller's transaction: the update row, the status of
 * each named component (recorded in its history and in the update's affected_components), and
 * the incident's list of affected components. With notify on, the same transaction queues the
 * broadcast and one delivery per recipient (see enqueueUpdateBroadcast). Returns the update id.
 */
export async function writePublishedUpdate(tx: DbOrTx, u: UpdateRow, now: Date): Promise<string> {
  const updateId = newId();
  await tx.insert(incidentUpdates).values({
    id: updateId,
    incidentId: u.incidentId,
    status: u.status,
    statusChanged: u.statusChanged,
    body: u.body,
    internalNote: u.internalNote,
    notify: u.notify,
    state: 'published',
    nextUpdateDueAt: u.nextUpdateDueAt,
    priorityFrom: u.priorityFrom ?? null,
    priorityTo: u.priorityTo ?? null,
    priorityReason: u.priorityReason ?? null,
    automatic: u.automatic ?? false,
    authorId: u.authorId,
    publishedAt: now,
    displayAt: now,
    createdAt: now,
    updatedAt: now,
  });
  const existing = await tx
    .select({ componentId: incidentComponents.componentId })
    .from(incidentComponents)
    .where(eq(incidentComponents.incidentId, u.incidentId));
  let position = existing.length;
  const known = new Set(existing.map((e) => e.componentId));
  for (const c of u.components) {
    const old = await applyComponentStatus(tx, c.componentId, c.status, now, { incidentId: u.incidentId });
    await tx.insert(updateAffectedComponents).values({ updateId, componentId: c.componentId, oldStatus: old, newStatus: c.status });
    if (known.has(c.componentId)) {
      await tx
        .update(incidentComponents)
        .set({ status: c.status })
        .where(and(eq(incidentComponents.incidentId, u.incidentId), eq(incidentComponents.componentId, c.componentId)));
    } else {
      known.add(c.componentId);
      await tx.insert(incidentComponents).values({ incidentId: u.incidentId, componentId: c.componentId, status: c.status, position: position++ });
    }
  }
  await enqueueUpdateBroadcast(tx, { updateId, incidentId: u.incidentId, status: u.status, notify: u.notify, priorityTo: u.priorityTo }, now);
  return updateId;
}

/**
 * When an incident resolves, each component it affected goes back to the worst status other
 * unresolved incidents still give it, or operational when none does.
 */
export async function restoreComponentsAfter(tx: DbOrTx, incidentId: string, now: Date): Promise<{ componentId: string; status: ComponentStatus }[]> {
  const affected = await tx.select().from(incidentComponents).where(eq(incidentComponents.incidentId, incidentId));
  if (affected.length === 0) return [];
  const others = await tx
    .select({ componentId: incidentComponents.componentId, status: incidentComponents.status })
    .from(incidentComponents)
    .innerJoin(incidents, eq(incidents.id, incidentComponents.incidentId))
    .where(
      and(
        inArray(incidentComponents.componentId, affected.map((a) => a.componentId)),
        ne(incidents.id, incidentId),
        ne(incidents.status, 'resolved'),
        isNotNull(incidents.publishedAt),
      ),
    );
  return affected.map((a) => ({
    componentId: a.componentId,
    status: worstComponentStatus(others.filter((o) => o.componentId === a.componentId).map((o) => o.status)),
  }));
}
