import { z } from 'zod';
import { componentStatuses, impacts, incidentStatuses } from '../../../db/schema/index.ts';

export const affectedComponentsInput = z
  .array(z.object({ componentId: z.string().min(1), status: z.enum(componentStatuses) }))
  .max(200)
  .default([]);

/** When the next update is promised: minutes from now, or an explicit time. */
export const promiseInput = {
  nextUpdateInMinutes: z.coerce
    .number()
    .int()
    .min(1, 'must be at least 1 minute')
    .max(7 * 24 * 60, 'must be within a week')
    .optional(),
  nextUpdateAt: z.coerce.date().optional(),
};

export const priorityInput = z.coerce
  .number({ error: 'must be 0, 1, 2 or 3' })
  .int()
  .min(0, 'must be 0, 1, 2 or 3')
  .max(3, 'must be 0, 1, 2 or 3');

export const titleInput = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(200, 'must be at most 200 characters');
export const bodyInput = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(10_000, 'must be at most 10,000 characters');
export const internalNoteInput = z.string().trim().max(10_000).nullish();

export const declareIncidentInput = z.object({
  title: titleInput,
  priority: priorityInput,
  status: z.enum(incidentStatuses).exclude(['resolved']).default('investigating'),
  impact: z.enum(impacts).optional(),
  body: bodyInput,
  internalNote: internalNoteInput,
  components: affectedComponentsInput,
  ownerId: z.string().min(1).nullish(),
  isDrill: z.boolean().default(false),
  autoHolding: z.boolean().default(false),
  notify: z.boolean().optional(),
  startedAt: z.coerce.date().optional(),
  ...promiseInput,
});
export type DeclareIncidentInput = z.input<typeof declareIncidentInput>;

export const postIncidentUpdateInput = z.object({
  incidentId: z.string().min(1),
  status: z.enum(incidentStatuses).optional(),
  body: bodyInput,
  internalNote: internalNoteInput,
  components: affectedComponentsInput,
  notify: z.boolean().optional(),
  ...promiseInput,
});
export type PostIncidentUpdateInput = z.input<typeof postIncidentUpdateInput>;

export const resolveIncidentInput = z.object({
  incidentId: z.string().min(1),
  body: bodyInput.default('This incident has been resolved. Thank you for your patience.'),
  internalNote: internalNoteInput,
  notify: z.boolean().optional(),
});
export type ResolveIncidentInput = z.input<typeof resolveIncidentInput>;

export const scheduledForInput = z.coerce.date({ error: 'must be a date and time' });

export const scheduleIncidentUpdateInput = z.object({
  incidentId: z.string().min(1),
  /** The status the update will set; the incident's status at publishing time when absent. */
  status: z.enum(incidentStatuses).optional(),
  body: bodyInput,
  internalNote: internalNoteInput,
  components: affectedComponentsInput,
  notify: z.boolean().optional(),
  scheduledFor: scheduledForInput,
  ...promiseInput,
});
export type ScheduleIncidentUpdateInput = z.input<typeof scheduleIncidentUpdateInput>;

export const scheduleIncidentInput = declareIncidentInput
  .omit({ startedAt: true })
  .extend({ scheduledFor: scheduledForInput });
export type ScheduleIncidentInput = z.input<typeof scheduleIncidentInput>;

export const editScheduledUpdateInput = z.object({
  updateId: z.string().min(1),
  status: z.enum(incidentStatuses).optional(),
  body: bodyInput.optional(),
  internalNote: internalNoteInput,
  components: z
    .array(z.object({ componentId: z.string().min(1), status: z.enum(componentStatuses) }))
    .max(200)
    .optional(),
  notify: z.boolean().optional(),
  scheduledFor: scheduledForInput.optional(),
  /** Only for a scheduled (not yet public) incident's first update. */
  title: titleInput.optional(),
  priority: priorityInput.optional(),
  ...promiseInput,
});
export type EditScheduledUpdateInput = z.input<typeof editScheduledUpdateInput>;
