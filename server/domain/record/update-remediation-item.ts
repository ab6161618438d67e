import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { remediationItems } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';
import { remediationPriorityInput, remediationStates, shortText, userIdInput } from './inputs.ts';
import { assertActiveUser } from '../users/active-user.ts';

export const updateRemediationItemInput = z.strictObject({
  itemId: z.string().min(1),
  what: shortText(2_000).optional(),
  affected: shortText(2_000).optional(),
  /** Setting it again (re-rating) needs a new confirmation. */
  priority: remediationPriorityInput.optional(),
  /** Support or sales confirm the priority the PM started with. */
  confirm: z.literal(true, { error: 'must be true' }).optional(),
  ownerId: userIdInput.nullish(),
  state: z
    .enum(remediationStates, { error: 'must be open, in_progress, done or wont_do' })
    .optional(),
});

export const updateRemediationItem = verb(updateRemediationItemInput, updateRemediationItemParsed);
async function updateRemediationItemParsed(
  deps: DomainDeps,
  input: Parsed<typeof updateRemediationItemInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(remediationItems)
      .where(eq(remediationItems.id, input.itemId));
    if (!before) throw new NotFoundError('remediation item', input.itemId);
    if (input.ownerId) await assertActiveUser(tx, 'ownerId', input.ownerId);
    const rerated = input.priority !== undefined && input.priority !== before.priority;
    const setter = rerated
      ? actor
      : { id: before.prioritySetById, label: before.prioritySetByLabel };
    if (input.confirm && setter.id !== null && setter.id === actor.id)
      throw new ConflictError(
        'The priority is confirmed by someone else (support or sales), not by who set it.',
      );
    const set = {
      what: input.what ?? before.what,
      affected: input.affected ?? before.affected,
      priority: input.priority ?? before.priority,
      prioritySetById: setter.id,
      prioritySetByLabel: setter.label,
      ...(input.confirm
        ? { confirmedById: actor.id, confirmedByLabel: actor.label, confirmedAt: now }
        : rerated
          ? { confirmedById: null, confirmedByLabel: null, confirmedAt: null }
          : {}),
      ownerId: input.ownerId === undefined ? before.ownerId : input.ownerId,
      state: input.state ?? before.state,
      updatedAt: now,
    };
    await tx.update(remediationItems).set(set).where(eq(remediationItems.id, before.id));
    await recordAudit(tx, actor, now, {
      action: 'remediation_item.update',
      objectType: 'remediation_item',
      objectId: before.id,
      before,
      after: set,
    });
    return { ...before, ...set };
  });
}
