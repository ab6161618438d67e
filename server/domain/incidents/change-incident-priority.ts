import { z } from 'zod';
import { idInput } from '../shared/inputs.ts';
import { incidents } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, ValidationError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { priorityInput } from './inputs.ts';
import { loadIncident } from './load-incident.ts';
import { defaultPromiseMinutes, isBroadcastPriority, readPromiseDefaults } from './promise.ts';
import { writePublishedUpdate } from './write-update.ts';

export const changeIncidentPriorityInput = z.strictObject({
  incidentId: idInput,
  priority: priorityInput,
  reason: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required: say why the priority changes')
    .max(1000, 'must be at most 1,000 characters'),
});
export type ChangeIncidentPriorityInput = z.input<typeof changeIncidentPriorityInput>;

/**
 * Upgrades or downgrades an incident, with a required reason kept in the timeline as an
 * internal entry (priority_from/priority_to/priority_reason): the reason is for the team, so
 * the public page, API and feeds leave these entries out (they show the current priority).
 * An upgrade to P0/P1 without a promised update gets the default promise, as every P0/P1 does.
 */
export const changeIncidentPriority = verb(
  changeIncidentPriorityInput,
  changeIncidentPriorityParsed,
);
async function changeIncidentPriorityParsed(
  deps: DomainDeps,
  input: Parsed<typeof changeIncidentPriorityInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await loadIncident(tx, input.incidentId);
    if (before.status === 'resolved')
      throw new ConflictError('This incident is resolved; its priority can no longer change.');
    if (before.priority === input.priority) {
      throw new ValidationError(`priority: the incident is already P${input.priority}`, {
        priority: `is already P${input.priority}`,
      });
    }
    const minutes = isBroadcastPriority(input.priority)
      ? defaultPromiseMinutes(await readPromiseDefaults(tx), input.priority)
      : undefined;
    const nextUpdateDueAt =
      before.nextUpdateDueAt ??
      (minutes === undefined ? null : new Date(now.getTime() + minutes * 60_000));
    const updateId = await writePublishedUpdate(
      tx,
      deps.config,
      before,
      {
        status: before.status,
        statusChanged: false,
        body: `Priority changed from P${before.priority} to P${input.priority}.`,
        internalNote: input.reason,
        notify: false,
        nextUpdateDueAt,
        authorId: actor.type === 'user' ? actor.id : null,
        components: [],
        priorityFrom: before.priority,
        priorityTo: input.priority,
        priorityReason: input.reason,
      },
      now,
    );
    await recordAudit(tx, actor, now, {
      action: 'incident.change_priority',
      objectType: 'incident',
      objectId: before.id,
      before: { priority: before.priority, nextUpdateDueAt: before.nextUpdateDueAt },
      after: { priority: input.priority, nextUpdateDueAt, reason: input.reason, updateId },
    });
    await bumpChanges(tx, now);
    return { incidentId: before.id, updateId, priority: input.priority };
  });
}
