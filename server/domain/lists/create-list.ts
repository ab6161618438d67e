import { eq } from 'drizzle-orm';
import { lists } from '../../../db/schema/index.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError } from '../shared/errors.ts';
import { assertRole } from '../shared/actor.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { createListInput, slugify } from './inputs.ts';
import { resolveListAudience } from './list-reading.ts';

export function requireAdmin(actor: Actor): void {
  assertRole(actor, 'admin');
}

/**
 * Adds a distribution list (for example a Drill list for practice incidents, or an audience's
 * own list, which its members join from the audience's page).
 */
export const createList = verb(createListInput, createListParsed);
async function createListParsed(
  deps: DomainDeps,
  input: Parsed<typeof createListInput>,
  actor: Actor,
) {
  requireAdmin(actor);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const slug = input.slug ?? slugify(input.name);
    const [taken] = await tx.select({ id: lists.id }).from(lists).where(eq(lists.slug, slug));
    if (taken) throw new ConflictError(`A list with the address name "${slug}" already exists.`);
    const allowedDomains = input.allowedDomains.join(',');
    const audienceId = await resolveListAudience(tx, input.audience, { ...input, allowedDomains });
    const row = {
      id: newId(),
      slug,
      name: input.name,
      description: input.description,
      isInternal: input.isInternal,
      allowedDomains,
      audienceId,
      priorities: input.priorities.join(','),
      isDrill: input.isDrill,
      subjectsInEnglish: input.subjectsInEnglish,
      subjectUpdate: input.subjectUpdate,
      subjectResolved: input.subjectResolved,
      createdAt: now,
      updatedAt: now,
    };
    await tx.insert(lists).values(row);
    await recordAudit(tx, actor, now, {
      action: 'list.create',
      objectType: 'list',
      objectId: row.id,
      after: row,
    });
    // The subscribe form offers the lists (never an audience's).
    await bumpChanges(tx, now);
    return { ...row, audience: input.audience };
  });
}
