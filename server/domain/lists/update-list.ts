import { and, eq, ne } from 'drizzle-orm';
import { audiences, lists } from '../../../db/schema/index.ts';
import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { requireAdmin } from './create-list.ts';
import { updateListInput } from './inputs.ts';
import { resolveListAudience } from './list-reading.ts';

/**
 * Edits a list. Existing subscribers stay; new rules apply to the next broadcast and join. A list
 * moved to an audience mails only that audience's members from the next broadcast on.
 */
export const updateList = verb(updateListInput, updateListParsed);
async function updateListParsed(
  deps: DomainDeps,
  input: Parsed<typeof updateListInput>,
  actor: Actor,
) {
  requireAdmin(actor);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(lists).where(eq(lists.id, input.listId));
    if (!before) throw new NotFoundError('list', input.listId);
    const slug = input.slug ?? before.slug;
    const [taken] = await tx
      .select({ id: lists.id })
      .from(lists)
      .where(and(eq(lists.slug, slug), ne(lists.id, before.id)));
    if (taken) throw new ConflictError(`A list with the address name "${slug}" already exists.`);
    const fields = {
      slug,
      name: input.name ?? before.name,
      description: input.description ?? before.description,
      isInternal: input.isInternal ?? before.isInternal,
      allowedDomains: input.allowedDomains?.join(',') ?? before.allowedDomains,
      priorities: input.priorities?.join(',') ?? before.priorities,
      isDrill: input.isDrill ?? before.isDrill,
      subjectsInEnglish: input.subjectsInEnglish ?? before.subjectsInEnglish,
      subjectUpdate: input.subjectUpdate === undefined ? before.subjectUpdate : input.subjectUpdate,
      subjectResolved:
        input.subjectResolved === undefined ? before.subjectResolved : input.subjectResolved,
      updatedAt: now,
    };
    // Leaving `audience` out keeps the list's audience: name it (or null) to change it.
    const audienceSlug =
      input.audience === undefined
        ? before.audienceId
          ? ((
              await tx
                .select({ slug: audiences.slug })
                .from(audiences)
                .where(eq(audiences.id, before.audienceId))
            )[0]?.slug ?? null)
          : null
        : input.audience;
    const after = { ...fields, audienceId: await resolveListAudience(tx, audienceSlug, fields) };
    await tx.update(lists).set(after).where(eq(lists.id, before.id));
    await recordAudit(tx, actor, now, {
      action: 'list.update',
      objectType: 'list',
      objectId: before.id,
      before,
      after,
    });
    await bumpChanges(tx, now);
    return { ...before, ...after, audience: after.audienceId ? audienceSlug : null };
  });
}
