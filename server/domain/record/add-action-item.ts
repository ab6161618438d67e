import { z } from 'zod';
import { actionItems } from '../../../db/schema/index.ts';
import { loadIncident } from '../incidents/load-incident.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';
import { actionItemKinds, actionItemPhases, shortText, userIdInput } from './inputs.ts';
import { instantInput } from '../shared/inputs.ts';
import { assertActiveUser } from '../users/active-user.ts';

export const addActionItemInput = z.strictObject({
  incidentId: z.string().min(1),
  title: shortText(300),
  kind: z.enum(actionItemKinds, { error: 'must be prevent, mitigate, detect or process' }),
  ownerId: userIdInput,
  dueAt: instantInput,
  phase: z.enum(actionItemPhases, { error: 'must be during or after' }),
});

/** Who does what by when: during the fire ("roll back deploy 4711") or from the post-mortem. */
export const addActionItem = verb(addActionItemInput, addActionItemParsed);
async function addActionItemParsed(
  deps: DomainDeps,
  input: Parsed<typeof addActionItemInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const incident = await loadIncident(tx, input.incidentId);
    await assertActiveUser(tx, 'ownerId', input.ownerId);
    const row = {
      id: newId(),
      incidentId: incident.id,
      title: input.title,
      kind: input.kind,
      ownerId: input.ownerId,
      dueAt: input.dueAt,
      phase: input.phase,
      state: 'open' as const,
      stateReason: null,
      closedAt: null,
      createdById: actor.id,
      createdAt: now,
      updatedAt: now,
    };
    await tx.insert(actionItems).values(row);
    await recordAudit(tx, actor, now, {
      action: 'action_item.create',
      objectType: 'action_item',
      objectId: row.id,
      after: { ...row, dueAt: row.dueAt.toISOString() },
    });
    return row;
  });
}
