import { and, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { incidentDecisions } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';
import { shortText } from './inputs.ts';

export const retractDecisionInput = z.strictObject({
  decisionId: z.string().min(1),
  reason: shortText(1_000),
});

/**
 * Retracts a decision logged by mistake (twice, on the wrong incident). It stays in the record
 * struck through with the reason, leaves the post-mortem, and is kept in the audit log. There
 * is no verb that undoes it: a retracted decision that was right is logged again, visibly.
 */
export const retractDecision = verb(retractDecisionInput, retractDecisionParsed);
async function retractDecisionParsed(
  deps: DomainDeps,
  input: Parsed<typeof retractDecisionInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const [d] = await tx
      .select()
      .from(incidentDecisions)
      .where(eq(incidentDecisions.id, input.decisionId));
    if (!d) throw new NotFoundError('decision', input.decisionId);
    const done = await tx
      .update(incidentDecisions)
      .set({ retractedAt: now, retractedByLabel: actor.label, retractReason: input.reason })
      .where(and(eq(incidentDecisions.id, d.id), isNull(incidentDecisions.retractedAt)))
      .returning({ id: incidentDecisions.id });
    if (done.length !== 1) throw new ConflictError('This decision is already retracted.');
    await recordAudit(tx, actor, now, {
      action: 'incident.retract_decision',
      objectType: 'incident',
      objectId: d.incidentId,
      before: { decisionId: d.id, decision: d.decision, why: d.why },
      after: { decisionId: d.id, retracted: true, reason: input.reason },
    });
    return { ...d, retractedAt: now, retractedByLabel: actor.label, retractReason: input.reason };
  });
}
