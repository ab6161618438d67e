import { and, eq, inArray, isNotNull, ne } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  type ComponentStatus,
  type IncidentStatus,
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  maintenanceComponents,
  maintenances,
  updateAffectedComponents,
} from '../../../db/schema/index.ts';
import { applyComponentStatus } from '../components/apply-component-status.ts';
import { checkComponents } from '../components/check-components.ts';
import { enqueueUpdateBroadcast } from '../broadcasts/enqueue-update-broadcast.ts';
import { queueComponentWebhooks } from '../webhooks/queue-webhook-deliveries.ts';
import type { MessageIdConfig } from '../outbox/message-id.ts';
import { newId } from '../shared/ids.ts';
import { worstComponentStatus } from '../status/rollup.ts';

/** What the publish path reads of the incident: its row as the caller has it in the transaction. */
export type PublishingIncident = Pick<
  typeof incidents.$inferSelect,
  | 'id'
  | 'title'
  | 'priority'
  | 'status'
  | 'isDrill'
  | 'monitoringAt'
  | 'resolvedAt'
  | 'publishedAt'
  | 'audienceOnly'
>;

export interface UpdateRow {
  status: IncidentStatus;
  statusChanged: boolean;
  body: string;
  /** The PM's translations of `body` by language, if any. */
  translations?: Record<string, string> | null;
  internalNote: string | null;
  notify: boolean;
  nextUpdateDueAt: Date | null;
  authorId: string | null;
  components: { componentId: string; status: ComponentStatus }[];
  priorityFrom?: number | null;
  priorityTo?: number | null;
  priorityReason?: string | null;
  automatic?: boolean;
  /**
   * Set when publishing a row that already exists: a scheduled update the caller has just
   * claimed (state moved from 'scheduled' to 'published' by a conditional UPDATE).
   */
  existingUpdateId?: string;
  /** The time readers see; a scheduled update keeps its intended time even when late. */
  displayAt?: Date;
}

/**
 * The one path by which an update becomes public, whether it is posted now or a scheduled
 * one falls due. Inside the caller's transaction it writes (or completes) the update row,
 * applies the status of each named component (recorded in its history and in the update's
 * affected_components), keeps the incident's list of affected components, and moves the
 * incident itself: status, monitoring/resolved times, the promised next update (a fresh
 * promise clears the reminder), and publication of a pre-announced incident. A resolving
 * update restores the components the incident held, unless it names them. With notify on,
 * the same transaction queues the broadcast and one delivery per recipient (see
 * enqueueUpdateBroadcast). `incident` is the row the caller loaded (or claimed) in the same
 * transaction, as it stood before this update. Returns the id.
 */
export async function writePublishedUpdate(
  tx: DbOrTx,
  config: MessageIdConfig,
  incident: PublishingIncident,
  u: UpdateRow,
  now: Date,
): Promise<string> {
  const incidentId = incident.id;
  const existing = await tx
    .select({ componentId: incidentComponents.componentId })
    .from(incidentComponents)
    .where(eq(incidentComponents.incidentId, incidentId));
  const resolving = u.status === 'resolved' && incident.status !== 'resolved';
  let componentsToApply = u.components;
  if (resolving) {
    const named = new Set(componentsToApply.map((c) => c.componentId));
    const restored = (await restoreComponentsAfter(tx, incidentId, existing)).filter(
      (c) => !named.has(c.componentId),
    );
    componentsToApply = [...componentsToApply, ...restored];
  }

  const updateId = await writeUpdateRow(tx, incidentId, u, now);
  const componentIds = await applyUpdateComponents(
    tx,
    {
      incidentId,
      updateId,
      existing,
      components: componentsToApply,
      offPublic: incident.audienceOnly || incident.isDrill,
      isDrill: incident.isDrill,
    },
    now,
  );

  const priority = u.priorityTo ?? incident.priority;
  await tx
    .update(incidents)
    .set({
      status: u.status,
      // Resolving ends the promise; otherwise the update's promise replaces the old one.
      nextUpdateDueAt: u.status === 'resolved' ? null : u.nextUpdateDueAt,
      reminderSentAt: null,
      promiseLateAt: null,
      monitoringAt: incident.monitoringAt ?? (u.status === 'monitoring' ? now : null),
      resolvedAt: u.status === 'resolved' ? (incident.resolvedAt ?? now) : null,
      publishedAt: incident.publishedAt ?? now,
      priority,
      updatedAt: now,
    })
    .where(eq(incidents.id, incidentId));
  await enqueueUpdateBroadcast(
    tx,
    config,
    {
      updateId,
      status: u.status,
      notify: u.notify,
      // A priority change is the team's entry: the public page leaves it out, and so do followers.
      internalOnly: u.priorityTo != null,
      incident: {
        id: incidentId,
        title: incident.title,
        isDrill: incident.isDrill,
        priority,
        audienceOnly: incident.audienceOnly,
      },
      componentIds,
    },
    now,
  );
  return updateId;
}

/** Writes the published update row, or completes the scheduled one the caller claimed. */
async function writeUpdateRow(
  tx: DbOrTx,
  incidentId: string,
  u: UpdateRow,
  now: Date,
): Promise<string> {
  const fields = {
    status: u.status,
    statusChanged: u.statusChanged,
    body: u.body,
    translations: u.translations ?? null,
    internalNote: u.internalNote,
    notify: u.notify,
    state: 'published' as const,
    nextUpdateDueAt: u.nextUpdateDueAt,
    priorityFrom: u.priorityFrom ?? null,
    priorityTo: u.priorityTo ?? null,
    priorityReason: u.priorityReason ?? null,
    automatic: u.automatic ?? false,
    authorId: u.authorId,
    publishedAt: now,
    displayAt: u.displayAt ?? now,
    updatedAt: now,
  };
  if (u.existingUpdateId) {
    await tx.update(incidentUpdates).set(fields).where(eq(incidentUpdates.id, u.existingUpdateId));
    // A scheduled update keeps its intended components as placeholder rows; the real
    // old statuses are only known now.
    await tx
      .delete(updateAffectedComponents)
      .where(eq(updateAffectedComponents.updateId, u.existingUpdateId));
    return u.existingUpdateId;
  }
  const updateId = newId();
  await tx.insert(incidentUpdates).values({ id: updateId, incidentId, createdAt: now, ...fields });
  return updateId;
}

/**
 * Applies each component status of an update: the component itself (with its history), the
 * update's affected_components, and the incident's own list of affected components, which
 * new ones join at the end. Returns every component the incident now affects.
 *
 * An audience-only incident or a drill leaves the component (its public status, history and
 * uptime, and public component webhooks) alone: its impact lives in the incident's own list,
 * which only its audiences' readers overlay (a drill's, nobody's). A drill still tells the
 * drill channels, with the drill's own before and after, so the practice runs the whole flow.
 */
async function applyUpdateComponents(
  tx: DbOrTx,
  a: {
    incidentId: string;
    updateId: string;
    existing: readonly { componentId: string }[];
    components: readonly { componentId: string; status: ComponentStatus }[];
    offPublic: boolean;
    isDrill: boolean;
  },
  now: Date,
): Promise<string[]> {
  const { incidentId, updateId } = a;
  let position = a.existing.length;
  const known = new Set(a.existing.map((e) => e.componentId));
  // Named in the request's body: one that does not exist is a 422 on `components`, not a 404.
  await checkComponents(tx, a.components);
  for (const c of a.components) {
    let old: ComponentStatus;
    if (a.isDrill) {
      old = (await readIncidentStatus(tx, incidentId, c.componentId)) ?? 'operational';
      if (old !== c.status)
        await queueComponentWebhooks(
          tx,
          { componentId: c.componentId, oldStatus: old, newStatus: c.status, incidentId },
          now,
        );
    } else if (a.offPublic) old = await readPublicStatus(tx, c.componentId);
    else old = await applyComponentStatus(tx, c.componentId, c.status, now, { incidentId });
    await tx
      .insert(updateAffectedComponents)
      .values({ updateId, componentId: c.componentId, oldStatus: old, newStatus: c.status });
    if (known.has(c.componentId)) {
      await tx
        .update(incidentComponents)
        .set({ status: c.status })
        .where(
          and(
            eq(incidentComponents.incidentId, incidentId),
            eq(incidentComponents.componentId, c.componentId),
          ),
        );
    } else {
      known.add(c.componentId);
      await tx.insert(incidentComponents).values({
        incidentId,
        componentId: c.componentId,
        status: c.status,
        position: position++,
      });
    }
  }
  return [...known];
}

/**
 * When an incident resolves, each component it affected goes back to the worst status other
 * unresolved incidents still give it; when none does, to under_maintenance if a window in
 * progress covers it (the window's end then gives it back its status from before the window),
 * else operational.
 */
async function restoreComponentsAfter(
  tx: DbOrTx,
  incidentId: string,
  affected: readonly { componentId: string }[],
): Promise<{ componentId: string; status: ComponentStatus }[]> {
  if (affected.length === 0) return [];
  const others = await tx
    .select({ componentId: incidentComponents.componentId, status: incidentComponents.status })
    .from(incidentComponents)
    .innerJoin(incidents, eq(incidents.id, incidentComponents.incidentId))
    .where(
      and(
        inArray(
          incidentComponents.componentId,
          affected.map((a) => a.componentId),
        ),
        ne(incidents.id, incidentId),
        ne(incidents.status, 'resolved'),
        isNotNull(incidents.publishedAt),
        // Audience-only incidents and drills never set a public status, so none holds one up.
        eq(incidents.audienceOnly, false),
        eq(incidents.isDrill, false),
      ),
    );
  const maintained = new Set(
    (
      await tx
        .select({ componentId: maintenanceComponents.componentId })
        .from(maintenanceComponents)
        .innerJoin(maintenances, eq(maintenances.id, maintenanceComponents.maintenanceId))
        .where(
          and(
            inArray(
              maintenanceComponents.componentId,
              affected.map((a) => a.componentId),
            ),
            inArray(maintenances.status, ['in_progress', 'verifying']),
          ),
        )
    ).map((m) => m.componentId),
  );
  return affected.map((a) => {
    const worst = worstComponentStatus(
      others.filter((o) => o.componentId === a.componentId).map((o) => o.status),
    );
    const status: ComponentStatus =
      worst === 'operational' && maintained.has(a.componentId) ? 'under_maintenance' : worst;
    return { componentId: a.componentId, status };
  });
}

/** The status an incident gives a component in its own list, if it names it. */
async function readIncidentStatus(
  tx: DbOrTx,
  incidentId: string,
  componentId: string,
): Promise<ComponentStatus | null> {
  const [row] = await tx
    .select({ status: incidentComponents.status })
    .from(incidentComponents)
    .where(
      and(
        eq(incidentComponents.incidentId, incidentId),
        eq(incidentComponents.componentId, componentId),
      ),
    );
  return row?.status ?? null;
}

async function readPublicStatus(tx: DbOrTx, componentId: string): Promise<ComponentStatus> {
  const [row] = await tx
    .select({ status: components.status })
    .from(components)
    .where(eq(components.id, componentId));
  return row?.status ?? 'operational';
}
