import { z } from 'zod';
import { idInput } from '../shared/inputs.ts';
import { componentStatuses } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { applyComponentStatus } from './apply-component-status.ts';

export const setComponentStatusInput = z.strictObject({
  componentId: idInput,
  status: z.enum(componentStatuses),
});

export const setComponentStatus = verb(setComponentStatusInput, setComponentStatusParsed);
async function setComponentStatusParsed(
  deps: DomainDeps,
  input: Parsed<typeof setComponentStatusInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const old = await applyComponentStatus(tx, input.componentId, input.status, now);
    await recordAudit(tx, actor, now, {
      action: 'component.set_status',
      objectType: 'component',
      objectId: input.componentId,
      before: { status: old },
      after: { status: input.status },
    });
    await bumpChanges(tx, now);
    return { oldStatus: old, newStatus: input.status };
  });
}
