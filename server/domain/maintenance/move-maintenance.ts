import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { maintenances } from '../../../db/schema/index.ts';
import { idInput, instantInput } from '../shared/inputs.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ValidationError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { formatLong } from '../shared/zoned-time.ts';
import { getSettings } from '../settings/get-settings.ts';
import { notPlannedAny } from './cancel-maintenance.ts';
import { windowAnnounced } from './enqueue-maintenance-notice.ts';
import { recordMaintenanceStep } from './record-step.ts';
import { reminderDue } from './schedule-maintenance.ts';

/** The step's words when the PM gives none (mails say it in the reader's language instead). */
export function movedBody(from: Date, until: Date, tz: string): string {
  return `This maintenance has moved to ${formatLong(from, tz)} to ${formatLong(until, tz)}.`;
}

const isDateRange = (v: { scheduledFor: unknown; scheduledUntil: unknown }) =>
  v.scheduledFor instanceof Date && v.scheduledUntil instanceof Date;

export const moveMaintenanceInput = z
  .strictObject({
    maintenanceId: idInput,
    scheduledFor: instantInput,
    scheduledUntil: instantInput,
    body: z.string().trim().max(10_000).optional(),
  })
  .refine((v) => !isDateRange(v) || v.scheduledUntil.getTime() > v.scheduledFor.getTime(), {
    path: ['scheduledUntil'],
    message: 'must be after the start',
  });

/**
 * Gives a window that has not started new times (the vendor rescheduled). Conditional on its
 * status like the start, and the scheduler's start is conditional on the start time having come,
 * so a window moved while the scheduler picks it up starts at its new time only. The reminder
 * is due again before the new start; subscribers who heard of the window get one notice with the
 * new times.
 */
export const moveMaintenance = verb(moveMaintenanceInput, moveMaintenanceParsed);
async function moveMaintenanceParsed(
  deps: DomainDeps,
  input: Parsed<typeof moveMaintenanceInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  if (input.scheduledFor.getTime() <= now.getTime()) {
    throw new ValidationError('The new start must be in the future.', {
      scheduledFor: 'must be in the future',
    });
  }
  return deps.db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(maintenances)
      .where(eq(maintenances.id, input.maintenanceId));
    const [m] = await tx
      .update(maintenances)
      .set({
        scheduledFor: input.scheduledFor,
        scheduledUntil: input.scheduledUntil,
        reminderSentAt: before?.reminderLeadMinutes
          ? reminderDue(input.scheduledFor, before.reminderLeadMinutes) <= now.getTime()
            ? now
            : null
          : before?.reminderSentAt,
        updatedAt: now,
      })
      .where(and(eq(maintenances.id, input.maintenanceId), eq(maintenances.status, 'scheduled')))
      .returning();
    if (!m || !before) throw await notPlannedAny(tx, input.maintenanceId, 'moved');
    const told = m.notify && (await windowAnnounced(tx, m.id));
    const tz = (await getSettings(tx)).timeZone;
    await recordMaintenanceStep(tx, deps.config, actor, now, {
      maintenanceId: m.id,
      status: 'scheduled',
      statusChanged: false,
      body: input.body || movedBody(m.scheduledFor, m.scheduledUntil, tz),
      notify: told,
      notice: told ? 'maintenance_moved' : null,
      audit: {
        action: 'maintenance.move',
        before: { scheduledFor: before.scheduledFor, scheduledUntil: before.scheduledUntil },
        after: {
          scheduledFor: m.scheduledFor,
          scheduledUntil: m.scheduledUntil,
          subscribersTold: told,
        },
      },
    });
    return m;
  });
}
