import { z } from 'zod';
import {
  componentStatuses,
  impacts,
  incidentStatuses,
  maintenanceStatuses,
} from '../../../db/schema/index.ts';
import { bodyInput, priorityInput, titleInput } from '../incidents/inputs.ts';
import { idInput, instantInput, oneLine } from '../shared/inputs.ts';

// What an importer hands the domain, already in Herald's words. The source's ids are kept
// only in the mapping table; times are the source's, so the history reads as it happened.

/**
 * A title as another status page kept it: one that spans lines there is joined into one here
 * (Herald's titles are one line), rather than leaving the incident out of the import.
 */
const importedTitle = z.string().transform(oneLine).pipe(titleInput);

const source = {
  source: z.string().min(1).max(300),
  sourceId: z.string().min(1, 'is required').max(200, 'is too long'),
};

export const importComponentInput = z.strictObject({
  ...source,
  name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
  description: z.string().trim().max(500).nullish(),
  isGroup: z.boolean(),
  groupId: idInput.nullish(),
  status: z.enum(componentStatuses),
  position: z.number().int().min(0),
  showcase: z.boolean().default(true),
  onlyShowIfDegraded: z.boolean().default(false),
  startDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date such as 2026-01-31')
    .nullish(),
  createdAt: instantInput,
});
export type ImportComponentInput = z.input<typeof importComponentInput>;

export const importIncidentInput = z.strictObject({
  ...source,
  title: importedTitle,
  priority: priorityInput,
  impact: z.enum(impacts),
  status: z.enum(incidentStatuses),
  createdAt: instantInput,
  startedAt: instantInput,
  monitoringAt: instantInput.nullish(),
  resolvedAt: instantInput.nullish(),
  /** Kept from the public at the source: shown to staff only (no named audience chosen). */
  audienceOnly: z.boolean().default(false),
  components: z
    .array(z.strictObject({ componentId: idInput, status: z.enum(componentStatuses) }))
    .max(200)
    .default([]),
  /** Oldest first. */
  updates: z
    .array(
      z.strictObject({
        status: z.enum(incidentStatuses),
        body: bodyInput,
        displayAt: instantInput,
        createdAt: instantInput,
      }),
    )
    .min(1, 'an incident needs at least one update')
    .max(1000),
});
export type ImportIncidentInput = z.input<typeof importIncidentInput>;

export const importMaintenanceInput = z.strictObject({
  ...source,
  title: importedTitle,
  description: z.string().trim().max(10_000),
  status: z.enum(maintenanceStatuses),
  scheduledFor: instantInput,
  scheduledUntil: instantInput,
  startedAt: instantInput.nullish(),
  completedAt: instantInput.nullish(),
  createdAt: instantInput,
  componentIds: z.array(idInput).max(200).default([]),
  /** Oldest first. */
  updates: z
    .array(
      z.strictObject({
        status: z.enum(maintenanceStatuses),
        body: bodyInput,
        displayAt: instantInput,
      }),
    )
    .max(1000),
});
export type ImportMaintenanceInput = z.input<typeof importMaintenanceInput>;
