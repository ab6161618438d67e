import { z } from 'zod';
import { idInput, instantInput, intInput, titleText } from '../shared/inputs.ts';
import { maintenanceComponents, maintenances } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { expandGroups } from '../components/check-components.ts';
import { recordMaintenanceStep } from './record-step.ts';

/** When the reminder before a window goes out (epoch ms). */
export function reminderDue(scheduledFor: Date, leadMinutes: number): number {
  return scheduledFor.getTime() - leadMinutes * 60_000;
}

const isDateRange = (v: { scheduledFor: unknown; scheduledUntil: unknown }) =>
  v.scheduledFor instanceof Date && v.scheduledUntil instanceof Date;

export const scheduleMaintenanceInput = z
  .strictObject({
    title: titleText(200),
    description: z.string().trim().min(1, 'is required').max(10_000),
    scheduledFor: instantInput,
    scheduledUntil: instantInput,
    componentIds: z.array(idInput).max(200).default([]),
    notify: z.boolean().default(true),
    notifyOnSchedule: z.boolean().default(true),
    notifyReminder: z.boolean().default(true),
    notifyOnStart: z.boolean().default(true),
    notifyOnComplete: z.boolean().default(true),
    reminderLeadMinutes: intInput(
      0,
      7 * 24 * 60,
      'must be a whole number of minutes, 0 to a week',
    ).default(60),
    autoStart: z.boolean().default(true),
    autoComplete: z.boolean().default(true),
  })
  // Zod runs this even when a field failed (its raw value is then no Date): only compare dates.
  .refine((v) => !isDateRange(v) || v.scheduledUntil.getTime() > v.scheduledFor.getTime(), {
    path: ['scheduledUntil'],
    message: 'must be after the start',
  });
export type ScheduleMaintenanceInput = z.input<typeof scheduleMaintenanceInput>;

export const scheduleMaintenance = verb(scheduleMaintenanceInput, scheduleMaintenanceParsed);
async function scheduleMaintenanceParsed(
  deps: DomainDeps,
  input: Parsed<typeof scheduleMaintenanceInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  if (input.scheduledUntil.getTime() <= now.getTime()) {
    throw new ValidationError('A maintenance window must end in the future.', {
      scheduledUntil: 'must be in the future',
    });
  }
  return deps.db.transaction(async (tx) => {
    const ids = await expandGroups(tx, input.componentIds, 'componentIds');
    const row = {
      id: newId(),
      title: input.title,
      description: input.description,
      status: 'scheduled' as const,
      scheduledFor: input.scheduledFor,
      scheduledUntil: input.scheduledUntil,
      notify: input.notify,
      notifyOnSchedule: input.notifyOnSchedule,
      notifyReminder: input.notifyReminder,
      notifyOnStart: input.notifyOnStart,
      notifyOnComplete: input.notifyOnComplete,
      reminderLeadMinutes: input.reminderLeadMinutes,
      // A window announced inside its own reminder lead needs no separate reminder.
      reminderSentAt:
        reminderDue(input.scheduledFor, input.reminderLeadMinutes) <= now.getTime() ? now : null,
      autoStart: input.autoStart,
      autoComplete: input.autoComplete,
      createdAt: now,
      updatedAt: now,
    };
    await tx.insert(maintenances).values(row);
    let position = 0;
    for (const componentId of ids) {
      await tx
        .insert(maintenanceComponents)
        .values({ maintenanceId: row.id, componentId, position: position++ });
    }
    await recordMaintenanceStep(tx, deps.config, actor, now, {
      maintenanceId: row.id,
      status: 'scheduled',
      statusChanged: true,
      body: input.description,
      notify: input.notify,
      notice: 'maintenance_scheduled',
      audit: { action: 'maintenance.schedule', after: { ...row, componentIds: ids } },
    });
    return row;
  });
}
