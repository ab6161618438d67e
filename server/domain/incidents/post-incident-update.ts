import { writeAudienceTexts } from '../audiences/audience-texts.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { postIncidentUpdateInput } from './inputs.ts';
import { loadIncident } from './load-incident.ts';
import { isBroadcastPriority, nextUpdateDue, readPromiseDefaults } from './promise.ts';
import { writePublishedUpdate } from './write-update.ts';

/**
 * Posts an update to an unresolved incident. Status `resolved` resolves it: the promise ends
 * and components it affected go back to operational (unless another incident holds them).
 */
export const postIncidentUpdate = verb(postIncidentUpdateInput, postIncidentUpdateParsed);
async function postIncidentUpdateParsed(
  deps: DomainDeps,
  input: Parsed<typeof postIncidentUpdateInput>,
  actor: Actor,
  opts: { automatic?: boolean } = {},
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await loadIncident(tx, input.incidentId);
    if (before.status === 'resolved') {
      throw new ConflictError(
        'This incident is resolved; declare a new incident instead of updating it.',
      );
    }
    if (before.publishedAt === null) {
      throw new ConflictError(
        'This incident is scheduled and not public yet; edit its scheduled update instead.',
      );
    }
    const status = input.status ?? before.status;
    const resolving = status === 'resolved';
    const due = nextUpdateDue(
      now,
      before.priority,
      resolving,
      input,
      await readPromiseDefaults(tx),
    );
    const updateId = await writePublishedUpdate(
      tx,
      deps.config,
      before,
      {
        status,
        statusChanged: status !== before.status,
        body: input.body,
        translations: input.translations ?? null,
        internalNote: input.internalNote ?? null,
        notify: input.notify ?? isBroadcastPriority(before.priority),
        nextUpdateDueAt: due,
        authorId: actor.type === 'user' ? actor.id : null,
        components: input.components,
        automatic: opts.automatic ?? false,
      },
      now,
    );
    await writeAudienceTexts(tx, updateId, input.audienceTexts);
    await recordAudit(tx, actor, now, {
      action: resolving
        ? 'incident.resolve'
        : opts.automatic
          ? 'incident.auto_holding'
          : 'incident.update',
      objectType: 'incident',
      objectId: before.id,
      before: { status: before.status, nextUpdateDueAt: before.nextUpdateDueAt },
      after: {
        status,
        nextUpdateDueAt: due,
        updateId,
        body: input.body,
        components: input.components,
      },
    });
    await bumpChanges(tx, now);
    return { incidentId: before.id, updateId, status };
  });
}
