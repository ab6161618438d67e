import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { incidentChanges } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';

export const reviewChangeInput = z.strictObject({
  changeId: z.string().min(1),
  verdict: z.enum(['confirm', 'object'], { error: 'must be confirm or object' }),
  /** Required to object (what is wrong with it); optional to confirm. */
  reason: z.string().trim().max(2_000, 'must be at most 2,000 characters').optional(),
});

/**
 * The named reviewer confirms a logged change or objects to it. Only they can: anyone else is
 * refused and nothing changes, so the record never says "reviewed by" someone who did not.
 * A verdict is given once; an objection stays in the record with its reason.
 */
export const reviewChange = verb(reviewChangeInput, reviewChangeParsed);
async function reviewChangeParsed(
  deps: DomainDeps,
  input: Parsed<typeof reviewChangeInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  if (input.verdict === 'object' && !input.reason)
    throw new ValidationError('reason: say what is wrong with the change', {
      reason: 'say what is wrong with it',
    });
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [change] = await tx
      .select()
      .from(incidentChanges)
      .where(eq(incidentChanges.id, input.changeId));
    if (!change) throw new NotFoundError('change', input.changeId);
    if (!change.reviewerId) throw new ConflictError('Nobody was asked to review this change.');
    if (actor.id !== change.reviewerId)
      throw new ForbiddenError('Only the reviewer this change names can review it.');
    const state = input.verdict === 'confirm' ? ('confirmed' as const) : ('objected' as const);
    const done = await tx
      .update(incidentChanges)
      .set({ reviewState: state, reviewReason: input.reason || null, reviewedAt: now })
      .where(and(eq(incidentChanges.id, change.id), eq(incidentChanges.reviewState, 'requested')))
      .returning({ id: incidentChanges.id });
    if (done.length !== 1)
      throw new ConflictError(`This change was already ${change.reviewState}.`);
    await recordAudit(tx, actor, now, {
      action: 'incident.review_change',
      objectType: 'incident',
      objectId: change.incidentId,
      before: { changeId: change.id, reviewState: change.reviewState },
      after: { changeId: change.id, reviewState: state, reason: input.reason || null },
    });
    return { ...change, reviewState: state, reviewReason: input.reason || null, reviewedAt: now };
  });
}
