import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { actionItems } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';
import { actionItemKinds, actionItemStates, shortText, userIdInput } from './inputs.ts';
import { instantInput } from '../shared/inputs.ts';
import { assertActiveUser } from '../users/active-user.ts';

export const updateActionItemInput = z.strictObject({
  itemId: z.string().min(1),
  title: shortText(300).optional(),
  kind: z
    .enum(actionItemKinds, { error: 'must be prevent, mitigate, detect or process' })
    .optional(),
  ownerId: userIdInput.optional(),
  dueAt: instantInput.optional(),
  state: z.enum(actionItemStates, { error: 'must be open, done or wont_do' }).optional(),
  /** Why it will not be done: required with `wont_do`. */
  reason: z.string().trim().max(2_000, 'must be at most 2,000 characters').optional(),
});

/** Edits an action item or closes it: done, or won't do with a reason. */
export const updateActionItem = verb(updateActionItemInput, updateActionItemParsed);
async function updateActionItemParsed(
  deps: DomainDeps,
  input: Parsed<typeof updateActionItemInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [before] = await tx.select().from(actionItems).where(eq(actionItems.id, input.itemId));
    if (!before) throw new NotFoundError('action item', input.itemId);
    if (input.ownerId) await assertActiveUser(tx, 'ownerId', input.ownerId);
    const state = input.state ?? before.state;
    if (
      state === 'wont_do' &&
      !(input.reason || (before.state === 'wont_do' && before.stateReason))
    )
      throw new ValidationError("reason: say why it won't be done", {
        reason: "is required when it won't be done",
      });
    const stateMoved = state !== before.state;
    const dueMoved = input.dueAt && input.dueAt.getTime() !== before.dueAt.getTime();
    const set = {
      title: input.title ?? before.title,
      kind: input.kind ?? before.kind,
      ownerId: input.ownerId ?? before.ownerId,
      dueAt: input.dueAt ?? before.dueAt,
      state,
      stateReason:
        state === 'wont_do'
          ? input.reason || before.stateReason
          : state === 'done'
            ? input.reason || null
            : null,
      closedAt: stateMoved ? (state === 'open' ? null : now) : before.closedAt,
      // A new due date earns new reminders.
      ...(dueMoved ? { reminderBeforeAt: null, reminderOverdueAt: null } : {}),
      updatedAt: now,
    };
    await tx.update(actionItems).set(set).where(eq(actionItems.id, before.id));
    await recordAudit(tx, actor, now, {
      action: 'action_item.update',
      objectType: 'action_item',
      objectId: before.id,
      before: { ...before, dueAt: before.dueAt.toISOString() },
      after: { ...set, dueAt: set.dueAt.toISOString() },
    });
    return { ...before, ...set };
  });
}
