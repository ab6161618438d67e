import { and, eq, inArray } from 'drizzle-orm';
import type { z } from 'zod';
import type { Tx } from '../../../db/client.ts';
import { maintenances, maintenanceUpdates } from '../../../db/schema/index.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { enqueueMaintenanceNotice } from './enqueue-maintenance-notice.ts';
import { maintenanceStepInput, stepConflict } from './start-maintenance.ts';
import { restoreAfterMaintenance } from './window-components.ts';

export const COMPLETE_BODY = 'The scheduled maintenance has been completed.';

/**
 * Completes a window in progress inside the caller's transaction (conditional on its status,
 * like the start): components go back to what they were, the step is recorded as an update,
 * the completion notice is queued when switched on. Null when it was not in progress.
 */
export async function applyComplete(
  tx: Tx,
  maintenanceId: string,
  now: Date,
  actor: Actor,
  opts: { body?: string } = {},
) {
  const [m] = await tx
    .update(maintenances)
    .set({ status: 'completed', completedAt: now, updatedAt: now })
    .where(
      and(
        eq(maintenances.id, maintenanceId),
        inArray(maintenances.status, ['in_progress', 'verifying']),
      ),
    )
    .returning();
  if (!m) return null;
  const restored = await restoreAfterMaintenance(tx, m.id, now);
  await tx.insert(maintenanceUpdates).values({
    id: newId(),
    maintenanceId: m.id,
    status: 'completed',
    statusChanged: true,
    body: opts.body || COMPLETE_BODY,
    notify: m.notify && m.notifyOnComplete,
    authorId: actor.type === 'user' ? actor.id : null,
    displayAt: now,
    createdAt: now,
  });
  await enqueueMaintenanceNotice(tx, m.id, 'maintenance_completed', now);
  await recordAudit(tx, actor, now, {
    action: 'maintenance.complete',
    objectType: 'maintenance',
    objectId: m.id,
    after: {
      status: 'completed',
      completedAt: now,
      early: now.getTime() < m.scheduledUntil.getTime(),
      components: restored,
    },
  });
  await bumpChanges(tx, now);
  return m;
}

/** Completes a window now (early, or by hand when auto complete is off). */
export async function completeMaintenance(
  deps: DomainDeps,
  raw: z.input<typeof maintenanceStepInput>,
  actor: Actor,
) {
  const input = parseInput(maintenanceStepInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const m = await applyComplete(tx, input.maintenanceId, now, actor, { body: input.body });
    if (!m) throw await stepConflict(tx, input.maintenanceId, 'complete');
    return m;
  });
}
