import { z } from 'zod';
import { incidentDecisions } from '../../../db/schema/index.ts';
import { loadIncident } from '../incidents/load-incident.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';
import { shortText } from './inputs.ts';

export const logDecisionInput = z.strictObject({
  incidentId: z.string().min(1),
  decision: shortText(1_000),
  why: z.string().trim().max(2_000, 'must be at most 2,000 characters').optional(),
});

/** "Roll back deploy 4711 (why: checkout errors began with it)": its own internal entry. */
export const logDecision = verb(logDecisionInput, logDecisionParsed);
async function logDecisionParsed(
  deps: DomainDeps,
  input: Parsed<typeof logDecisionInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const incident = await loadIncident(tx, input.incidentId);
    const row = {
      id: newId(),
      incidentId: incident.id,
      decision: input.decision,
      why: input.why || null,
      authorId: actor.id,
      authorLabel: actor.label,
      decidedAt: now,
    };
    await tx.insert(incidentDecisions).values(row);
    await recordAudit(tx, actor, now, {
      action: 'incident.log_decision',
      objectType: 'incident',
      objectId: incident.id,
      after: { decisionId: row.id, decision: row.decision, why: row.why },
    });
    return row;
  });
}
