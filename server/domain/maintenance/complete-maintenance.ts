import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../../../db/client.ts';
import { maintenances } from '../../../db/schema/index.ts';
import type { MessageIdConfig } from '../outbox/message-id.ts';
import type { Actor } from '../shared/actor.ts';
import { maintenanceStepNow } from './start-maintenance.ts';
import { restoreAfterMaintenance } from './window-components.ts';
import { recordMaintenanceStep } from './record-step.ts';

export const COMPLETE_BODY = 'The scheduled maintenance has been completed.';

/**
 * Completes a window in progress inside the caller's transaction (conditional on its status,
 * like the start): components go back to what they were, the step is recorded as an update,
 * the completion notice is queued when switched on. Null when it was not in progress.
 */
export async function applyComplete(
  tx: Tx,
  config: MessageIdConfig,
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
  await recordMaintenanceStep(tx, config, actor, now, {
    maintenanceId: m.id,
    status: 'completed',
    statusChanged: true,
    body: opts.body || COMPLETE_BODY,
    notify: m.notify && m.notifyOnComplete,
    notice: 'maintenance_completed',
    audit: {
      action: 'maintenance.complete',
      after: {
        status: 'completed',
        completedAt: now,
        early: now.getTime() < m.scheduledUntil.getTime(),
        components: restored,
      },
    },
  });
  return m;
}

/** Completes a window now (early, or by hand when auto complete is off). */
export const completeMaintenance = maintenanceStepNow('complete', applyComplete);
