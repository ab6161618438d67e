import { z } from 'zod';
import { remediationItems } from '../../../db/schema/index.ts';
import { loadIncident } from '../incidents/load-incident.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';
import { remediationPriorityInput, shortText, userIdInput } from './inputs.ts';
import { assertActiveUser } from '../users/active-user.ts';

export const addRemediationItemInput = z.strictObject({
  incidentId: z.string().min(1),
  /** What must be made up: a record to restore, messages to resend, a refund. */
  what: shortText(2_000),
  affected: shortText(2_000),
  priority: remediationPriorityInput,
  ownerId: userIdInput.nullish(),
});

/**
 * Records what customers are owed, apart from the fix. The PM's priority is a starting point
 * until support or sales confirm it; open items never hold up the all-clear.
 */
export const addRemediationItem = verb(addRemediationItemInput, addRemediationItemParsed);
async function addRemediationItemParsed(
  deps: DomainDeps,
  input: Parsed<typeof addRemediationItemInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const incident = await loadIncident(tx, input.incidentId);
    if (input.ownerId) await assertActiveUser(tx, 'ownerId', input.ownerId);
    const row = {
      id: newId(),
      incidentId: incident.id,
      what: input.what,
      affected: input.affected,
      priority: input.priority,
      prioritySetById: actor.id,
      prioritySetByLabel: actor.label,
      confirmedById: null,
      confirmedByLabel: null,
      confirmedAt: null,
      ownerId: input.ownerId ?? null,
      state: 'open' as const,
      createdAt: now,
      updatedAt: now,
    };
    await tx.insert(remediationItems).values(row);
    await recordAudit(tx, actor, now, {
      action: 'remediation_item.create',
      objectType: 'remediation_item',
      objectId: row.id,
      after: row,
    });
    return row;
  });
}
