import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '../../../db/client.ts';
import { maintenances } from '../../../db/schema/index.ts';
import { idInput } from '../shared/inputs.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { windowAnnounced } from './enqueue-maintenance-notice.ts';
import { recordMaintenanceStep } from './record-step.ts';

export const CANCEL_BODY = 'This maintenance has been cancelled; it will not take place.';

export const cancelMaintenanceInput = z.strictObject({
  maintenanceId: idInput,
  /** Why, in a line, for the page and the notice (optional). */
  body: z.string().trim().max(10_000).optional(),
});

/**
 * Calls off a window that has not started. The claim is a conditional UPDATE on its status, the
 * same one the start makes, so a cancel and the scheduler's start racing in two processes end
 * with one of them: a cancelled window never starts, a started one is not cancelled. Its
 * calendar event turns CANCELLED; subscribers who heard of it get one cancellation notice.
 */
export const cancelMaintenance = verb(cancelMaintenanceInput, cancelMaintenanceParsed);
async function cancelMaintenanceParsed(
  deps: DomainDeps,
  input: Parsed<typeof cancelMaintenanceInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [m] = await tx
      .update(maintenances)
      .set({ status: 'cancelled', updatedAt: now })
      .where(and(eq(maintenances.id, input.maintenanceId), eq(maintenances.status, 'scheduled')))
      .returning();
    if (!m) throw await notPlannedAny(tx, input.maintenanceId, 'cancelled');
    const told = m.notify && (await windowAnnounced(tx, m.id));
    await recordMaintenanceStep(tx, deps.config, actor, now, {
      maintenanceId: m.id,
      status: 'cancelled',
      statusChanged: true,
      body: input.body || CANCEL_BODY,
      notify: told,
      notice: told ? 'maintenance_cancelled' : null,
      audit: {
        action: 'maintenance.cancel',
        before: { status: 'scheduled' },
        after: { status: 'cancelled', subscribersTold: told },
      },
    });
    return m;
  });
}

/**
 * Why a window that is not planned any more cannot be cancelled or moved: a started one is
 * completed or extended instead.
 */
export async function notPlannedAny(
  tx: Tx,
  id: string,
  what: 'cancelled' | 'moved',
): Promise<Error> {
  const [m] = await tx
    .select({ status: maintenances.status })
    .from(maintenances)
    .where(eq(maintenances.id, id));
  if (!m) return new NotFoundError('maintenance', id);
  switch (m.status) {
    case 'in_progress':
    case 'verifying':
      return new ConflictError(
        `This maintenance has already started, so it cannot be ${what}; complete it now or extend it instead.`,
      );
    case 'completed':
      return new ConflictError(
        `This maintenance is completed, so it cannot be ${what}; schedule a new window instead.`,
      );
    default:
      return new ConflictError(
        `This maintenance is cancelled, so it cannot be ${what}; schedule a new window instead.`,
      );
  }
}
