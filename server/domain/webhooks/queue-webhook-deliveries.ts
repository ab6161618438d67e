import { and, eq, ne, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  type ComponentStatus,
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  maintenanceComponents,
  maintenances,
  type WebhookEvent,
} from '../../../db/schema/index.ts';
import { inJsonList } from '../shared/in-list.ts';
import { rowsAffected } from '../shared/writes.ts';

// Deliveries are written in the transaction that publishes the update or changes the
// component, with one INSERT ... SELECT over the active webhooks that want the event, so a
// crash can neither lose a delivery nor send one for a change that was rolled back. A paused
// webhook keeps queueing: resumed, it gets everything it missed, in order.

async function withGroups(tx: DbOrTx, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await tx
    .select({ id: components.id, groupId: components.groupId })
    .from(components)
    .where(inJsonList(components.id, ids));
  return [...new Set(rows.flatMap((r) => (r.groupId ? [r.id, r.groupId] : [r.id])))];
}

async function insertDeliveries(
  tx: DbOrTx,
  event: WebhookEvent,
  ref: Record<string, string | null>,
  filter: SQL,
  componentIds: string[],
  now: Date,
): Promise<number> {
  const match = await withGroups(tx, componentIds);
  const componentFilter =
    match.length === 0
      ? sql``
      : sql`AND (w.component_ids IS NULL OR json_array_length(w.component_ids) = 0
            OR EXISTS (SELECT 1 FROM json_each(w.component_ids) j
                       WHERE j.value IN (SELECT value FROM json_each(${JSON.stringify(match)}))))`;
  const result = await tx.run(sql`
    INSERT INTO webhook_deliveries (id, webhook_id, event, ref, state, attempts, next_attempt_at, created_at)
    SELECT lower(hex(randomblob(8))), w.id, ${event}, ${JSON.stringify(ref)}, 'pending', 0, ${now.getTime()}, ${now.getTime()}
    FROM webhooks w
    WHERE w.state IN ('active', 'paused')
      AND EXISTS (SELECT 1 FROM json_each(w.events) e WHERE e.value = ${event})
      AND ${filter}
      ${componentFilter}`);
  return rowsAffected(result);
}

/**
 * Queues a delivery of a published incident update for every webhook that wants it: the
 * event matches, the update notifies and the incident's priority is among the webhook's,
 * drills reach drill channels only, and the webhook's components (if any) include one the
 * incident affects; plus every follower of this incident. An update for internal readers only
 * (a priority change) reaches internal channels only: never a follower (always public) or a
 * public channel.
 */
export async function queueIncidentWebhooks(
  tx: DbOrTx,
  u: {
    updateId: string;
    incidentId: string;
    status: string;
    priority: number;
    notify: boolean;
    internalOnly: boolean;
  },
  now: Date,
): Promise<number> {
  const [incident] = await tx.select().from(incidents).where(eq(incidents.id, u.incidentId));
  // An incident for chosen audiences only is never told to a webhook or chat channel.
  if (!incident || incident.audienceOnly) return 0;
  let event: WebhookEvent = 'incident.updated';
  if (u.status === 'resolved') event = 'incident.resolved';
  else {
    const [{ n } = { n: 0 }] = await tx
      .select({ n: sql<number>`count(*)` })
      .from(incidentUpdates)
      .where(
        and(eq(incidentUpdates.incidentId, u.incidentId), eq(incidentUpdates.state, 'published')),
      );
    if (Number(n) <= 1) event = 'incident.created';
  }
  // A follow ends at the resolve, by webhook as by email: an update published after it (a
  // scheduled follow-up) reaches no follower.
  const [{ n: resolvedBefore } = { n: 0 }] = await tx
    .select({ n: sql<number>`count(*)` })
    .from(incidentUpdates)
    .where(
      and(
        eq(incidentUpdates.incidentId, u.incidentId),
        eq(incidentUpdates.state, 'published'),
        eq(incidentUpdates.status, 'resolved'),
        ne(incidentUpdates.id, u.updateId),
      ),
    );
  const followed = Number(resolvedBefore) === 0;
  const affected = await tx
    .select({ id: incidentComponents.componentId })
    .from(incidentComponents)
    .where(eq(incidentComponents.incidentId, u.incidentId));
  return insertDeliveries(
    tx,
    event,
    { incidentId: u.incidentId, updateId: u.updateId },
    // Channels follow the email rules (a notifying update of one of their priorities);
    // someone who follows this one incident gets every update it publishes.
    sql`((w.incident_id = ${u.incidentId} AND ${followed ? 1 : 0} = 1)
         OR (w.incident_id IS NULL AND ${u.notify ? 1 : 0} = 1
             AND w.is_drill = ${incident.isDrill ? 1 : 0}
             AND instr(',' || w.priorities || ',', ${`,${u.priority},`}) > 0))
        AND (${u.internalOnly ? 1 : 0} = 0 OR w.internal = 1)`,
    affected.map((a) => a.id),
    now,
  );
}

/** Queues a `component_update` for every webhook that wants component changes. */
export async function queueComponentWebhooks(
  tx: DbOrTx,
  c: {
    componentId: string;
    oldStatus: ComponentStatus;
    newStatus: ComponentStatus;
    incidentId?: string | null;
  },
  now: Date,
): Promise<number> {
  let drill = false;
  if (c.incidentId) {
    const [i] = await tx
      .select({ isDrill: incidents.isDrill })
      .from(incidents)
      .where(eq(incidents.id, c.incidentId));
    drill = i?.isDrill ?? false;
  }
  return insertDeliveries(
    tx,
    'component.updated',
    {
      componentId: c.componentId,
      oldStatus: c.oldStatus,
      newStatus: c.newStatus,
      changedAt: now.toISOString(),
    },
    sql`w.incident_id IS NULL AND w.is_drill = ${drill ? 1 : 0}`,
    [c.componentId],
    now,
  );
}

/**
 * Queues a `maintenance` delivery of one step of a window (scheduled, started, extended,
 * completed) for every webhook that wants the event and one of the window's components; a window
 * naming no component reaches them all, as its emails do. Maintenance has no priority and is
 * never a drill, so drill channels and followers of one incident never get it; a window with
 * notifications switched off tells no channel, as it tells no list.
 */
export async function queueMaintenanceWebhooks(
  tx: DbOrTx,
  step: { maintenanceId: string; updateId: string },
  now: Date,
): Promise<number> {
  const [m] = await tx
    .select({ notify: maintenances.notify })
    .from(maintenances)
    .where(eq(maintenances.id, step.maintenanceId));
  if (!m?.notify) return 0;
  const covered = await tx
    .select({ id: maintenanceComponents.componentId })
    .from(maintenanceComponents)
    .where(eq(maintenanceComponents.maintenanceId, step.maintenanceId));
  return insertDeliveries(
    tx,
    'maintenance',
    { maintenanceId: step.maintenanceId, updateId: step.updateId },
    sql`w.incident_id IS NULL AND w.is_drill = 0`,
    covered.map((c) => c.id),
    now,
  );
}

/**
 * Queues a `maintenance.switch` delivery (the emergency switch on, changed or off) for every
 * webhook that wants it. Like a window, it has no priority and is never a drill.
 */
export async function queueSwitchWebhooks(
  tx: DbOrTx,
  sw: { on: boolean; message: string | null; until: string | null },
  now: Date,
): Promise<number> {
  return insertDeliveries(
    tx,
    'maintenance.switch',
    {
      active: sw.on ? 'true' : 'false',
      message: sw.message,
      until: sw.until,
      changedAt: now.toISOString(),
    },
    sql`w.incident_id IS NULL AND w.is_drill = 0`,
    [],
    now,
  );
}
