import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { maintenances, maintenanceUpdates } from '../../../db/schema/index.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { formatLong } from '../shared/time-format.ts';
import { getSettings } from '../settings/get-settings.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';

export const extendMaintenanceInput = z.object({
  maintenanceId: z.string().min(1),
  scheduledUntil: z.coerce.date({ error: 'must be a date and time' }),
  body: z.string().trim().max(10_000).optional(),
});

/** Moves a window's end later (it needs more time); recorded as an update on the window. */
export async function extendMaintenance(
  deps: DomainDeps,
  raw: z.input<typeof extendMaintenanceInput>,
  actor: Actor,
) {
  const input = parseInput(extendMaintenanceInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [m] = await tx
      .select()
      .from(maintenances)
      .where(eq(maintenances.id, input.maintenanceId));
    if (!m) throw new NotFoundError(`No maintenance with id ${input.maintenanceId}.`);
    if (m.status === 'completed')
      throw new ConflictError('This maintenance is completed; schedule a new window instead.');
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
    await tx.insert(maintenanceUpdates).values({
      id: newId(),
      maintenanceId: m.id,
      status: m.status,
      statusChanged: false,
      body:
        input.body ||
        `The maintenance window has been extended until ${formatLong(input.scheduledUntil, tz)}.`,
      notify: false,
      authorId: actor.type === 'user' ? actor.id : null,
      displayAt: now,
      createdAt: now,
    });
    await recordAudit(tx, actor, now, {
      action: 'maintenance.extend',
      objectType: 'maintenance',
      objectId: m.id,
      before: { scheduledUntil: m.scheduledUntil },
      after: { scheduledUntil: input.scheduledUntil },
    });
    await bumpChanges(tx, now);
    return { ...m, scheduledUntil: input.scheduledUntil, updatedAt: now };
  });
}
