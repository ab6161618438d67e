import { asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../../db/client.ts';
import { audiences, incidentAudiences } from '../../../db/schema/index.ts';
import { ValidationError } from '../shared/errors.ts';

/**
 * Who may see an incident: `"everyone"` (public, the default) or the slugs of one or more named
 * audiences (then it is on no public surface, and staff audiences see it too).
 */
export const incidentAudiencesInput = z
  .union([
    z.literal('everyone'),
    z
      .array(z.string().trim().min(1, 'is required').max(40))
      .min(1, 'name at least one audience, or "everyone"')
      .max(50, 'at most 50 audiences'),
  ])
  .default('everyone');
export type IncidentAudiencesChoice = z.output<typeof incidentAudiencesInput>;

/**
 * The audience ids a choice names, or null for everyone. An unknown audience is a field error
 * on `field`, before anything is written.
 */
export async function resolveIncidentAudiences(
  tx: DbOrTx,
  choice: IncidentAudiencesChoice,
  field = 'audiences',
): Promise<string[] | null> {
  if (choice === 'everyone') return null;
  const slugs = [...new Set(choice)];
  const rows = await tx
    .select({ id: audiences.id, slug: audiences.slug })
    .from(audiences)
    .where(inArray(audiences.slug, slugs));
  const unknown = slugs.filter((s) => !rows.some((r) => r.slug === s));
  if (unknown.length)
    throw new ValidationError('An audience does not exist.', {
      [field]: `no audience ${unknown.join(', ')}`,
    });
  return rows.map((r) => r.id);
}

/** Records the audiences of an audience-only incident (after its row is written). */
export async function writeIncidentAudiences(
  tx: DbOrTx,
  incidentId: string,
  audienceIds: string[] | null,
): Promise<void> {
  if (!audienceIds?.length) return;
  await tx
    .insert(incidentAudiences)
    .values(audienceIds.map((audienceId) => ({ incidentId, audienceId })));
}

/** The audiences an incident is chosen for, by name: what the admin marks it with. */
export async function readIncidentAudiences(
  db: DbOrTx,
  incidentIds: string[],
): Promise<Map<string, { slug: string; name: string }[]>> {
  const out = new Map<string, { slug: string; name: string }[]>();
  if (incidentIds.length === 0) return out;
  const rows = await db
    .select({
      incidentId: incidentAudiences.incidentId,
      slug: audiences.slug,
      name: audiences.name,
    })
    .from(incidentAudiences)
    .innerJoin(audiences, eq(audiences.id, incidentAudiences.audienceId))
    .where(inArray(incidentAudiences.incidentId, incidentIds))
    .orderBy(asc(audiences.name));
  for (const { incidentId, slug, name } of rows)
    out.set(incidentId, [...(out.get(incidentId) ?? []), { slug, name }]);
  return out;
}
