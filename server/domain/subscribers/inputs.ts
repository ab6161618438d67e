import { LANGUAGE_TAGS, isLanguage } from '../../i18n/languages.ts';
import { z } from 'zod';

export const emailInput = z
  .string({ error: 'is required' })
  .trim()
  .min(1, 'is required')
  .max(254, 'is too long')
  .pipe(z.email({ error: 'must be an email address such as name@example.com' }))
  .transform((e) => e.toLowerCase());

/** Form fields arrive as one string or several; both mean a list of ids. */
export const idList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => [...new Set((Array.isArray(v) ? v : [v]).map((s) => s.trim()).filter(Boolean))])
  .refine((v) => v.length <= 500, { message: 'too many', params: { says: 'valid.tooMany' } });

export const tokenInput = z
  .string()
  .trim()
  .min(20, 'is not a valid link')
  .max(200, 'is not a valid link')
  .regex(/^[A-Za-z0-9_-]+$/, 'is not a valid link');

/** One of Herald's languages (server/i18n/languages.ts). */
export const languageInput = z.string({ error: 'is required' }).refine(isLanguage, {
  message: `must be one of ${LANGUAGE_TAGS.join(', ')}`,
  params: { says: 'valid.language' },
});

export const requestSubscriptionInput = z.strictObject({
  email: emailInput,
  /** The language of the page they subscribed from: their mail comes in it. */
  language: languageInput.optional(),
  listIds: idList.optional(),
  /** Empty or missing means every component. */
  componentIds: idList.nullish(),
});
export type RequestSubscriptionInput = z.input<typeof requestSubscriptionInput>;
