import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { components, runbookRevisions, runbooks } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { NotFoundError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';

export const saveRunbookInput = z.strictObject({
  componentId: z.string().min(1),
  body: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required: how to recognise it, stop the bleeding, who to call, where to look')
    .max(50_000, 'must be at most 50,000 characters'),
});
export type SaveRunbookInput = z.input<typeof saveRunbookInput>;

/** Writes a component's runbook (a new revision, and a fresh "last reviewed" date). */
export const saveRunbook = verb(saveRunbookInput, saveRunbookParsed);
async function saveRunbookParsed(
  deps: DomainDeps,
  input: Parsed<typeof saveRunbookInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [c] = await tx
      .select({ id: components.id })
      .from(components)
      .where(eq(components.id, input.componentId));
    if (!c) throw new NotFoundError('component', input.componentId);
    const [before] = await tx
      .select()
      .from(runbooks)
      .where(eq(runbooks.componentId, input.componentId));
    const row = {
      componentId: input.componentId,
      body: input.body,
      lastReviewedAt: now,
      lastEditedBy: actor.label,
      updatedAt: now,
    };
    await tx
      .insert(runbooks)
      .values(row)
      .onConflictDoUpdate({ target: runbooks.componentId, set: row });
    await tx.insert(runbookRevisions).values({
      id: newId(),
      componentId: input.componentId,
      body: input.body,
      editedBy: actor.label,
      at: now,
    });
    await recordAudit(tx, actor, now, {
      action: before ? 'runbook.update' : 'runbook.create',
      objectType: 'runbook',
      objectId: input.componentId,
      before: before ? { body: before.body } : undefined,
      after: { body: input.body },
    });
    await bumpChanges(tx, now);
    return row;
  });
}
