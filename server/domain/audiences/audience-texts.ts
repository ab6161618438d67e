import { asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../../db/client.ts';
import { audiences, updateAudienceTexts } from '../../../db/schema/index.ts';
import { ValidationError } from '../shared/errors.ts';

/**
 * An update's text for named audiences, where it differs from the public text (the default
 * every audience reads otherwise). Each text is for its audience only.
 */
export const audienceTextsInput = z
  .array(
    z.strictObject({
      audience: z.string().trim().min(1, 'is required').max(40),
      body: z
        .string()
        .trim()
        .min(1, 'is required')
        .max(10_000, 'must be at most 10,000 characters'),
    }),
  )
  .max(50)
  .default([]);

/**
 * The texts with their audiences, one per audience (the last one given for it), in the order
 * first given; an unknown audience is a field error. What publishing writes and the preview shows.
 */
export async function resolveAudienceTexts(
  db: DbOrTx,
  texts: z.output<typeof audienceTextsInput>,
): Promise<{ audience: { id: string; slug: string; name: string }; body: string }[]> {
  if (texts.length === 0) return [];
  const last = new Map(texts.map((t) => [t.audience, t.body]));
  const rows = await db
    .select({ id: audiences.id, slug: audiences.slug, name: audiences.name })
    .from(audiences)
    .where(inArray(audiences.slug, [...last.keys()]));
  const bySlug = new Map(rows.map((r) => [r.slug, r]));
  const unknown = [...last.keys()].filter((s) => !bySlug.has(s));
  if (unknown.length)
    throw new ValidationError('An audience does not exist.', {
      audienceTexts: `no audience ${unknown.join(', ')}`,
    });
  return [...last].map(([slug, body]) => ({ audience: bySlug.get(slug)!, body }));
}

/** Writes the texts in the caller's transaction; an unknown audience is a field error. */
export async function writeAudienceTexts(
  tx: DbOrTx,
  updateId: string,
  texts: z.output<typeof audienceTextsInput>,
): Promise<void> {
  const resolved = await resolveAudienceTexts(tx, texts);
  if (resolved.length === 0) return;
  await tx
    .insert(updateAudienceTexts)
    .values(resolved.map(({ audience, body }) => ({ updateId, audienceId: audience.id, body })));
}

/**
 * Puts these texts in place of the update's earlier ones: a scheduled update's edit gives every
 * audience's text again, and an audience it leaves out reads the public text.
 */
export async function replaceAudienceTexts(
  tx: DbOrTx,
  updateId: string,
  texts: z.output<typeof audienceTextsInput>,
): Promise<void> {
  await tx.delete(updateAudienceTexts).where(eq(updateAudienceTexts.updateId, updateId));
  await writeAudienceTexts(tx, updateId, texts);
}

/** An update's own texts by audience, for staff (the scheduled update's edit form and API). */
export async function readAudienceTexts(
  db: DbOrTx,
  updateId: string,
): Promise<{ audience: string; name: string; body: string }[]> {
  return db
    .select({ audience: audiences.slug, name: audiences.name, body: updateAudienceTexts.body })
    .from(updateAudienceTexts)
    .innerJoin(audiences, eq(audiences.id, updateAudienceTexts.audienceId))
    .where(eq(updateAudienceTexts.updateId, updateId))
    .orderBy(asc(audiences.name));
}
