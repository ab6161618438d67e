import { and, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { incidents, incidentUpdates, updateAffectedComponents } from '../../../db/schema/index.ts';
import { readAudienceTexts, replaceAudienceTexts } from '../audiences/audience-texts.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { editScheduledUpdateInput } from './inputs.ts';
import { readPromiseDefaults } from './promise.ts';
import { loadIncident } from './load-incident.ts';
import { checkComponents } from '../components/check-components.ts';
import { checkScheduledFor, scheduledPromise, writeIntendedComponents } from './schedule-update.ts';
import { type Parsed, verb } from '../shared/verb.ts';

/** Loads a scheduled update for a change; one that went out or was cancelled is a conflict. */
async function loadScheduled(tx: DbOrTx, updateId: string) {
  const [row] = await tx.select().from(incidentUpdates).where(eq(incidentUpdates.id, updateId));
  if (!row) throw new NotFoundError('incident update', updateId);
  if (row.state === 'published')
    throw new ConflictError('This update has already gone out; post a new update instead.');
  if (row.state === 'cancelled') throw new ConflictError('This scheduled update was cancelled.');
  return row;
}

/**
 * Edits a scheduled update until it goes out. The transaction takes the write lock first
 * (libSQL begins write transactions IMMEDIATE), so it cannot interleave with the scheduler's
 * claim: either the edit lands before publishing or it is refused as a conflict.
 */
export const editScheduledUpdate = verb(editScheduledUpdateInput, editScheduledUpdateParsed);
async function editScheduledUpdateParsed(
  deps: DomainDeps,
  input: Parsed<typeof editScheduledUpdateInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  if (input.scheduledFor) checkScheduledFor(input.scheduledFor, now);
  return deps.db.transaction(async (tx) => {
    const before = await loadScheduled(tx, input.updateId);
    const incident = await loadIncident(tx, before.incidentId);
    if (
      (input.title !== undefined || input.priority !== undefined) &&
      incident.publishedAt !== null
    ) {
      throw new ValidationError(
        'Title and priority of a public incident change through an update, not a scheduled edit.',
        {
          title: 'can only be edited while the incident is scheduled',
        },
      );
    }
    if (incident.publishedAt === null && input.status === 'resolved') {
      throw new ValidationError(
        'A scheduled incident cannot start out resolved; cancel it instead.',
        { status: 'cannot be resolved before the incident is public' },
      );
    }
    if (incident.status === 'resolved' && input.status && input.status !== 'resolved') {
      throw new ConflictError('This incident is resolved; a scheduled follow-up cannot reopen it.');
    }
    if (input.components) await checkComponents(tx, input.components);
    const scheduledFor = input.scheduledFor ?? before.scheduledFor ?? now;
    const priority = input.priority ?? incident.priority;
    const status = input.status ?? before.status;
    const promiseGiven =
      input.nextUpdateAt !== undefined || input.nextUpdateInMinutes !== undefined;
    let due = before.nextUpdateDueAt;
    if (promiseGiven || status === 'resolved')
      due = scheduledPromise(scheduledFor, priority, status, input, await readPromiseDefaults(tx));
    else if (due && before.scheduledFor)
      due = new Date(due.getTime() + (scheduledFor.getTime() - before.scheduledFor.getTime()));
    const after = {
      status,
      statusChanged: input.status !== undefined ? true : before.statusChanged,
      body: input.body ?? before.body,
      translations: input.translations !== undefined ? input.translations : before.translations,
      internalNote: input.internalNote !== undefined ? input.internalNote : before.internalNote,
      notify: input.notify ?? before.notify,
      nextUpdateDueAt: due,
      scheduledFor,
      displayAt: scheduledFor,
      updatedAt: now,
    };
    await tx
      .update(incidentUpdates)
      .set(after)
      .where(and(eq(incidentUpdates.id, before.id), eq(incidentUpdates.state, 'scheduled')));
    if (input.components) await writeIntendedComponents(tx, before.id, input.components);
    const textsBefore = input.audienceTexts ? await readAudienceTexts(tx, before.id) : undefined;
    if (input.audienceTexts) await replaceAudienceTexts(tx, before.id, input.audienceTexts);
    if (incident.publishedAt === null) {
      await tx
        .update(incidents)
        .set({
          title: input.title ?? incident.title,
          priority,
          status: after.status === 'resolved' ? incident.status : after.status,
          startedAt: scheduledFor,
          updatedAt: now,
        })
        .where(eq(incidents.id, incident.id));
    }
    await recordAudit(tx, actor, now, {
      action: 'incident_update.edit_scheduled',
      objectType: 'incident_update',
      objectId: before.id,
      before: {
        status: before.status,
        body: before.body,
        scheduledFor: before.scheduledFor,
        nextUpdateDueAt: before.nextUpdateDueAt,
        notify: before.notify,
        audienceTexts: textsBefore?.map(({ audience, body }) => ({ audience, body })),
      },
      after: {
        ...after,
        audienceTexts: input.audienceTexts,
        components: input.components,
        title: input.title,
        priority: input.priority,
      },
    });
    return { ...before, ...after };
  });
}

/**
 * Cancels a scheduled update before it goes out. Cancelling the first update of a scheduled
 * incident cancels the incident: it was never public and stays so.
 */
export async function cancelScheduledUpdate(
  deps: DomainDeps,
  raw: { updateId: string },
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const input = parseInput(editScheduledUpdateInput.pick({ updateId: true }), raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await loadScheduled(tx, input.updateId);
    await tx
      .update(incidentUpdates)
      .set({ state: 'cancelled', updatedAt: now })
      .where(and(eq(incidentUpdates.id, before.id), eq(incidentUpdates.state, 'scheduled')));
    await tx
      .delete(updateAffectedComponents)
      .where(eq(updateAffectedComponents.updateId, before.id));
    await recordAudit(tx, actor, now, {
      action: 'incident_update.cancel_scheduled',
      objectType: 'incident_update',
      objectId: before.id,
      before: { state: 'scheduled', scheduledFor: before.scheduledFor, body: before.body },
      after: { state: 'cancelled' },
    });
    // A scheduled incident with nothing left to go out is called off: it was never public,
    // and closing it keeps it off the dashboard's active list.
    const incident = await loadIncident(tx, before.incidentId);
    const [left] = await tx
      .select({ id: incidentUpdates.id })
      .from(incidentUpdates)
      .where(
        and(
          eq(incidentUpdates.incidentId, incident.id),
          inArray(incidentUpdates.state, ['scheduled', 'published']),
        ),
      )
      .limit(1);
    const calledOff = incident.publishedAt === null && !left;
    if (calledOff) {
      await tx
        .update(incidents)
        .set({ status: 'resolved', resolvedAt: now, updatedAt: now })
        .where(eq(incidents.id, incident.id));
      await recordAudit(tx, actor, now, {
        action: 'incident.cancel_scheduled',
        objectType: 'incident',
        objectId: incident.id,
        before: { status: incident.status, publishedAt: null },
        after: { status: 'resolved', publishedAt: null },
      });
    }
    return { updateId: before.id, incidentId: before.incidentId, incidentCalledOff: calledOff };
  });
}
