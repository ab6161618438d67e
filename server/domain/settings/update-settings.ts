import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { settings } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { isValidTimeZone } from '../shared/zoned-time.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { getSettings } from './get-settings.ts';
import { LANGUAGE_TAGS, isLanguage } from '../../i18n/languages.ts';

/** IANA names only ("Europe/Berlin", "UTC"), not abbreviations such as "CET" or "EST". */
export function isIanaTimeZone(tz: string): boolean {
  if (tz === 'UTC') return true;
  return /^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$/.test(tz) && isValidTimeZone(tz);
}

const promiseMinutes = z
  .number({ error: 'must be a whole number of minutes' })
  .int('must be a whole number of minutes')
  .min(1, 'must be at least 1 minute')
  .max(24 * 60, 'must be within a day');

export const updateSettingsInput = z.strictObject({
  pageName: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(100, 'must be at most 100 characters')
    .optional(),
  publicUrl: z
    .union([
      z.literal('').transform(() => null),
      z.null(),
      z
        .url({
          protocol: /^https?$/,
          error: 'must be an http(s) URL such as https://status.example.com',
        })
        .transform((u) => u.replace(/\/+$/, '')),
    ])
    .optional(),
  timeZone: z
    .string({ error: 'is required' })
    .trim()
    .refine(isIanaTimeZone, 'must be an IANA time zone such as Europe/Berlin or UTC')
    .optional(),
  defaultLanguage: z
    .string({ error: 'is required' })
    .refine(isLanguage, `must be one of ${LANGUAGE_TAGS.join(', ')}`)
    .optional(),
  /** Languages the declare and update forms offer a translation box for. */
  translationLanguages: z
    .array(z.string().refine(isLanguage, `must be one of ${LANGUAGE_TAGS.join(', ')}`))
    .max(LANGUAGE_TAGS.length)
    .optional(),
  /** Default next-update promise per priority; P0/P1 always promise, P2/P3 may be null. */
  promiseMinutesP0: promiseMinutes.optional(),
  promiseMinutesP1: promiseMinutes.optional(),
  promiseMinutesP2: promiseMinutes.nullable().optional(),
  promiseMinutesP3: promiseMinutes.nullable().optional(),
});
export type UpdateSettingsInput = z.input<typeof updateSettingsInput>;

/** Page name, public URL, display time zone, default language and the default next-update promises. */
export const updateSettings = verb(updateSettingsInput, updateSettingsParsed);
async function updateSettingsParsed(
  deps: DomainDeps,
  input: Parsed<typeof updateSettingsInput>,
  actor: Actor,
) {
  assertRole(actor, 'admin');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await getSettings(tx);
    const after = {
      pageName: input.pageName ?? before.pageName,
      publicUrl: input.publicUrl === undefined ? before.publicUrl : input.publicUrl,
      timeZone: input.timeZone ?? before.timeZone,
      defaultLanguage: input.defaultLanguage ?? before.defaultLanguage,
      translationLanguages:
        input.translationLanguages === undefined
          ? before.translationLanguages
          : [...new Set(input.translationLanguages)].join(','),
      promiseMinutesP0: input.promiseMinutesP0 ?? before.promiseMinutesP0,
      promiseMinutesP1: input.promiseMinutesP1 ?? before.promiseMinutesP1,
      promiseMinutesP2:
        input.promiseMinutesP2 === undefined ? before.promiseMinutesP2 : input.promiseMinutesP2,
      promiseMinutesP3:
        input.promiseMinutesP3 === undefined ? before.promiseMinutesP3 : input.promiseMinutesP3,
    };
    await tx
      .update(settings)
      .set({ ...after, updatedAt: now })
      .where(eq(settings.id, 1));
    await recordAudit(tx, actor, now, {
      action: 'settings.update',
      objectType: 'settings',
      objectId: '1',
      before: {
        pageName: before.pageName,
        publicUrl: before.publicUrl,
        timeZone: before.timeZone,
        defaultLanguage: before.defaultLanguage,
        translationLanguages: before.translationLanguages,
        promiseMinutesP0: before.promiseMinutesP0,
        promiseMinutesP1: before.promiseMinutesP1,
        promiseMinutesP2: before.promiseMinutesP2,
        promiseMinutesP3: before.promiseMinutesP3,
      },
      after,
    });
    await bumpChanges(tx, now);
    return after;
  });
}
