import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { idInput } from '../shared/inputs.ts';
import { incidents } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { assertActiveUser } from '../users/active-user.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';
import { loadIncident } from './load-incident.ts';

export const changeIncidentOwnerInput = z.strictObject({
  incidentId: idInput,
  /** null: nobody owns it. */
  ownerId: idInput.nullable(),
});

/** Hands an incident over (shift change). The owner is internal, so the public page is unchanged. */
export const changeIncidentOwner = verb(changeIncidentOwnerInput, changeIncidentOwnerParsed);
async function changeIncidentOwnerParsed(
  deps: DomainDeps,
  input: Parsed<typeof changeIncidentOwnerInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await loadIncident(tx, input.incidentId);
    if (input.ownerId) await assertActiveUser(tx, 'ownerId', input.ownerId);
    await tx
      .update(incidents)
      .set({ ownerId: input.ownerId, updatedAt: now })
      .where(eq(incidents.id, before.id));
    await recordAudit(tx, actor, now, {
      action: 'incident.change_owner',
      objectType: 'incident',
      objectId: before.id,
      before: { ownerId: before.ownerId },
      after: { ownerId: input.ownerId },
    });
    return { incidentId: before.id, ownerId: input.ownerId };
  });
}
