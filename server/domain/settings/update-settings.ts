import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { settings } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { parseInput } from '../shared/parse.ts';
import { isValidTimeZone } from '../shared/zoned-time.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { getSettings } from './get-settings.ts';

/** IANA names only ("Europe/Berlin", "UTC"), not abbreviations such as "CET" or "EST". */
export function isIanaTimeZone(tz: string): boolean {
  if (tz === 'UTC') return true;
  return /^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$/.test(tz) && isValidTimeZone(tz);
}

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
});
export type UpdateSettingsInput = z.input<typeof updateSettingsInput>;

/** Page name, public URL and display time zone. */
export async function updateSettings(deps: DomainDeps, raw: UpdateSettingsInput, actor: Actor) {
  assertRole(actor, 'admin');
  const input = parseInput(updateSettingsInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await getSettings(tx);
    const after = {
      pageName: input.pageName ?? before.pageName,
      publicUrl: input.publicUrl === undefined ? before.publicUrl : input.publicUrl,
      timeZone: input.timeZone ?? before.timeZone,
    };
    await tx
      .update(settings)
      .set({ ...after, updatedAt: now })
      .where(eq(settings.id, 1));
    await recordAudit(tx, actor, now, {
      action: 'settings.update',
      objectType: 'settings',
      objectId: '1',
      before: { pageName: before.pageName, publicUrl: before.publicUrl, timeZone: before.timeZone },
      after,
    });
    await bumpChanges(tx, now);
    return after;
  });
}
