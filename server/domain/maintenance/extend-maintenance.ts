import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { idInput, instantInput } from '../shared/inputs.ts';
import { maintenances } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { formatLong } from '../shared/zoned-time.ts';
import { getSettings } from '../settings/get-settings.ts';
import { recordMaintenanceStep } from './record-step.ts';

export const extendMaintenanceInput = z.strictObject({
  maintenanceId: idInput,
  scheduledUntil: instantInput,
  body: z.string().trim().max(10_000).optional(),
});

/** Moves a window's end later (it needs more time); recorded as an update on the window. */
export const extendMaintenance = verb(extendMaintenanceInput, extendMaintenanceParsed);
async function extendMaintenanceParsed(
  deps: DomainDeps,
  input: Parsed<typeof extendMaintenanceInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [m] = await tx
      .select()
      .from(maintenances)
      .where(eq(maintenances.id, input.maintenanceId));
    if (!m) throw new NotFoundError('maintenance', input.maintenanceId);
    if (m.status === 'completed' || m.status === 'cancelled')
      throw new ConflictError(`This maintenance is ${m.status}; schedule a new window instead.`);
    if (
      input.scheduledUntil.getTime() <= m.scheduledUntil.getTime() ||
      input.scheduledUntil.getTime() <= now.getTime()
    ) {
      throw new ValidationError(
        'The new end must be later than the current end and in the future.',
        { scheduledUntil: 'must be later than the current end' },
      );
    }
    await tx
      .update(maintenances)
      .set({ scheduledUntil: input.scheduledUntil, updatedAt: now })
      .where(eq(maintenances.id, m.id));
    const tz = (await getSettings(tx)).timeZone;
    await recordMaintenanceStep(tx, deps.config, actor, now, {
      maintenanceId: m.id,
      status: m.status,
      statusChanged: false,
      body:
        input.body ||
        `The maintenance window has been extended until ${formatLong(input.scheduledUntil, tz)}.`,
      notify: false,
      notice: null,
      audit: {
        action: 'maintenance.extend',
        before: { scheduledUntil: m.scheduledUntil },
        after: { scheduledUntil: input.scheduledUntil },
      },
    });
    return { ...m, scheduledUntil: input.scheduledUntil, updatedAt: now };
  });
}
