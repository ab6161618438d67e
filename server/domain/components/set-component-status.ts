import { z } from 'zod';
import { idInput } from '../shared/inputs.ts';
import { componentStatuses } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { parseInput } from '../shared/parse.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { applyComponentStatus } from './apply-component-status.ts';

export const setComponentStatusInput = z.strictObject({
  componentId: idInput,
  status: z.enum(componentStatuses),
});

export async function setComponentStatus(
  deps: DomainDeps,
  raw: z.input<typeof setComponentStatusInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const input = parseInput(setComponentStatusInput, raw);
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
