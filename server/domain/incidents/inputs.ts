import { audienceTextsInput } from '../audiences/audience-texts.ts';
import { incidentAudiencesInput } from '../audiences/incident-audiences.ts';
import { z } from 'zod';
import { componentStatuses, impacts, incidentStatuses } from '../../../db/schema/index.ts';
import { either, idInput, instantInput, intInput, titleText } from '../shared/inputs.ts';
import { LANGUAGE_TAGS, isLanguage } from '../../i18n/languages.ts';

const affectedComponent = z.strictObject({
  componentId: idInput,
  status: z.enum(componentStatuses),
});
export const affectedComponentsInput = z.array(affectedComponent).max(200).default([]);

/** When the next update is promised: minutes from now, or an explicit time. */
export const promiseInput = {
  nextUpdateInMinutes: intInput(
    1,
    7 * 24 * 60,
    'must be a whole number of minutes, 1 to a week',
  ).optional(),
  nextUpdateAt: instantInput.optional(),
};

/** 0 to 3 as a number: a JSON `null`, `""`, `false` or `"0"` is refused, never a P0. */
export const priorityInput = intInput(0, 3, 'must be 0, 1, 2 or 3');

export const titleInput = titleText(200);

/** What a new incident may start as: resolving comes after, with its all-clear. */
const declarableStatuses = incidentStatuses.filter((s) => s !== 'resolved');
export const bodyInput = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(10_000, 'must be at most 10,000 characters');
export const internalNoteInput = z.string().trim().max(10_000).nullish();

/**
 * The PM's own translations of an update's public text, by language: `{ "de": "…" }`. Empty
 * boxes are left out; a language Herald does not speak is refused.
 */
export const translationsInput = z
  .record(z.string(), z.string().trim().max(10_000, 'must be at most 10,000 characters'))
  .superRefine((r, ctx) => {
    for (const k of Object.keys(r))
      if (!isLanguage(k))
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: `must be one of ${LANGUAGE_TAGS.join(', ')}`,
        });
  })
  .transform((r) => {
    const kept = Object.entries(r).filter(([, v]) => v !== '');
    return kept.length ? Object.fromEntries(kept) : null;
  })
  .nullish();

export const declareIncidentInput = z.strictObject({
  title: titleInput,
  priority: priorityInput,
  status: z
    .enum(declarableStatuses, {
      error: `must be ${either(declarableStatuses)} (resolve it once declared)`,
    })
    .default('investigating'),
  impact: z.enum(impacts).optional(),
  body: bodyInput,
  translations: translationsInput,
  internalNote: internalNoteInput,
  audienceTexts: audienceTextsInput,
  /** Who may see it: "everyone" (the default) or named audiences only. */
  audiences: incidentAudiencesInput,
  components: affectedComponentsInput,
  ownerId: idInput.nullish(),
  isDrill: z.boolean().default(false),
  autoHolding: z.boolean().default(false),
  notify: z.boolean().optional(),
  startedAt: instantInput.optional(),
  ...promiseInput,
});
export type DeclareIncidentInput = z.input<typeof declareIncidentInput>;

export const postIncidentUpdateInput = z.strictObject({
  incidentId: idInput,
  status: z.enum(incidentStatuses).optional(),
  body: bodyInput,
  translations: translationsInput,
  internalNote: internalNoteInput,
  audienceTexts: audienceTextsInput,
  components: affectedComponentsInput,
  notify: z.boolean().optional(),
  ...promiseInput,
});
export type PostIncidentUpdateInput = z.input<typeof postIncidentUpdateInput>;

export const resolveIncidentInput = z.strictObject({
  incidentId: idInput,
  body: bodyInput.default('This incident has been resolved. Thank you for your patience.'),
  translations: translationsInput,
  internalNote: internalNoteInput,
  audienceTexts: audienceTextsInput,
  notify: z.boolean().optional(),
  /** The support script's closing version for the all-clear; the closing template without it. */
  supportScript: z
    .string()
    .trim()
    .min(1)
    .max(10_000, 'must be at most 10,000 characters')
    .optional(),
});
export type ResolveIncidentInput = z.input<typeof resolveIncidentInput>;

export const scheduledForInput = instantInput;

/**
 * An update as posted, written now to go out at `scheduledFor`. Without a status it keeps the
 * incident's status at publishing time.
 */
export const scheduleIncidentUpdateInput = postIncidentUpdateInput.extend({
  scheduledFor: scheduledForInput,
});
export type ScheduleIncidentUpdateInput = z.input<typeof scheduleIncidentUpdateInput>;

export const scheduleIncidentInput = declareIncidentInput
  .omit({ startedAt: true })
  .extend({ scheduledFor: scheduledForInput });
export type ScheduleIncidentInput = z.input<typeof scheduleIncidentInput>;

export const editScheduledUpdateInput = z.strictObject({
  updateId: idInput,
  status: z.enum(incidentStatuses).optional(),
  body: bodyInput.optional(),
  /** Left out: the translations stay; given (even empty): they are replaced. */
  translations: translationsInput,
  internalNote: internalNoteInput,
  /** Given: the audience texts it will carry (replacing those written before); absent: kept. */
  audienceTexts: audienceTextsInput.unwrap().optional(),
  components: z.array(affectedComponent).max(200).optional(),
  notify: z.boolean().optional(),
  scheduledFor: scheduledForInput.optional(),
  /** Only for a scheduled (not yet public) incident's first update. */
  title: titleInput.optional(),
  priority: priorityInput.optional(),
  ...promiseInput,
});
export type EditScheduledUpdateInput = z.input<typeof editScheduledUpdateInput>;
