import { eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  type ComponentStatus,
  incidentUpdates,
  updateAffectedComponents,
} from '../../../db/schema/index.ts';
import { writeAudienceTexts } from '../audiences/audience-texts.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { recordAudit } from '../shared/writes.ts';
import { insertIncident } from './declare-incident.ts';
import { scheduleIncidentInput, scheduleIncidentUpdateInput } from './inputs.ts';
import { checkComponents } from '../components/check-components.ts';
import { loadIncident } from './load-incident.ts';
import {
  isBroadcastPriority,
  nextUpdateDue,
  type PromiseDefaults,
  readPromiseDefaults,
} from './promise.ts';
import { type Parsed, verb } from '../shared/verb.ts';

const YEAR = 366 * 24 * 60 * 60_000;

/** A scheduled time must lie ahead, and not absurdly far. */
export function checkScheduledFor(at: Date, now: Date): void {
  if (at.getTime() <= now.getTime()) {
    throw new ValidationError('A scheduled update must be scheduled for a time in the future.', {
      scheduledFor: 'must be in the future',
    });
  }
  if (at.getTime() - now.getTime() > YEAR) {
    throw new ValidationError('A scheduled update must go out within a year.', {
      scheduledFor: 'must be within a year',
    });
  }
}

/**
 * The promise a scheduled update will make, computed as if it went out on time. When it goes
 * out late, the publisher shifts it by the delay (see `shiftPromise`).
 */
export function scheduledPromise(
  scheduledFor: Date,
  priority: number,
  status: string | undefined,
  input: { nextUpdateInMinutes?: number | undefined; nextUpdateAt?: Date | undefined },
  defaults: PromiseDefaults,
): Date | null {
  try {
    return nextUpdateDue(scheduledFor, priority, status === 'resolved', input, defaults);
  } catch (err) {
    if (err instanceof ValidationError) {
      throw new ValidationError('The next update must be promised for after the scheduled time.', {
        nextUpdateAt: 'must be after the scheduled time',
      });
    }
    throw err;
  }
}

/**
 * The intended component changes of a scheduled update, kept as placeholder rows (old status =
 * new status) that the publisher replaces with the real old statuses. Public reads only join
 * these for published updates.
 */
export async function writeIntendedComponents(
  tx: DbOrTx,
  updateId: string,
  list: { componentId: string; status: ComponentStatus }[],
): Promise<void> {
  await tx
    .delete(updateAffectedComponents)
    .where(inArray(updateAffectedComponents.updateId, [updateId]));
  const seen = new Set<string>();
  for (const c of list) {
    if (seen.has(c.componentId)) continue;
    seen.add(c.componentId);
    await tx
      .insert(updateAffectedComponents)
      .values({ updateId, componentId: c.componentId, oldStatus: c.status, newStatus: c.status });
  }
}

/**
 * Writes an update now to go out later. It stays invisible (state 'scheduled') until the
 * scheduler publishes it at `scheduledFor`. Without a status, it keeps whatever status the
 * incident has when it goes out (`status_changed` false marks that).
 */
export const scheduleIncidentUpdate = verb(
  scheduleIncidentUpdateInput,
  scheduleIncidentUpdateParsed,
);
async function scheduleIncidentUpdateParsed(
  deps: DomainDeps,
  input: Parsed<typeof scheduleIncidentUpdateInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  checkScheduledFor(input.scheduledFor, now);
  return deps.db.transaction(async (tx) => {
    const incident = await loadIncident(tx, input.incidentId);
    // A follow-up to a resolved incident is fine as long as it does not reopen it.
    if (incident.status === 'resolved' && input.status && input.status !== 'resolved') {
      throw new ConflictError('This incident is resolved; a scheduled follow-up cannot reopen it.');
    }
    await checkComponents(tx, input.components);
    const due = scheduledPromise(
      input.scheduledFor,
      incident.priority,
      input.status ?? incident.status,
      input,
      await readPromiseDefaults(tx),
    );
    const row = scheduledRow(incident.id, incident.priority, input, due, actor, now, {
      status: input.status ?? incident.status,
      statusChanged: input.status !== undefined,
    });
    await tx.insert(incidentUpdates).values(row);
    await writeIntendedComponents(tx, row.id, input.components);
    // Kept with the update from now on: every read of audience texts goes through published
    // updates, so they stay unseen until the scheduler publishes it.
    await writeAudienceTexts(tx, row.id, input.audienceTexts);
    await recordAudit(tx, actor, now, {
      action: 'incident_update.schedule',
      objectType: 'incident_update',
      objectId: row.id,
      after: { ...row, components: input.components, audienceTexts: input.audienceTexts },
    });
    return row;
  });
}

/**
 * A pre-announced incident: the incident row exists (published_at null, invisible everywhere
 * public) with its first update scheduled; publishing that update makes the incident public.
 */
export const scheduleIncident = verb(scheduleIncidentInput, scheduleIncidentParsed);
async function scheduleIncidentParsed(
  deps: DomainDeps,
  input: Parsed<typeof scheduleIncidentInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  checkScheduledFor(input.scheduledFor, now);
  const due = scheduledPromise(
    input.scheduledFor,
    input.priority,
    input.status,
    input,
    await readPromiseDefaults(deps.db),
  );
  return deps.db.transaction(async (tx) => {
    await checkComponents(tx, input.components);
    // Invisible everywhere public until its first update goes out, which publishes it.
    const incident = await insertIncident(tx, input, actor, now, {
      publishedAt: null,
      startedAt: input.scheduledFor,
      monitoringAt: null,
      nextUpdateDueAt: null,
    });
    const update = scheduledRow(incident.id, input.priority, input, due, actor, now, {
      status: input.status,
      statusChanged: true,
    });
    await tx.insert(incidentUpdates).values(update);
    await writeIntendedComponents(tx, update.id, input.components);
    await writeAudienceTexts(tx, update.id, input.audienceTexts);
    await recordAudit(tx, actor, now, {
      action: 'incident.schedule',
      objectType: 'incident',
      objectId: incident.id,
      after: {
        ...incident,
        updateId: update.id,
        body: input.body,
        audienceTexts: input.audienceTexts,
        scheduledFor: input.scheduledFor,
        components: input.components,
      },
    });
    return { incident, update };
  });
}

/** The incident_updates row of an update written now and published at `scheduledFor`. */
function scheduledRow<S extends string>(
  incidentId: string,
  priority: number,
  input: {
    body: string;
    translations?: Record<string, string> | null;
    internalNote?: string | null;
    notify?: boolean;
    scheduledFor: Date;
  },
  due: Date | null,
  actor: Actor,
  now: Date,
  status: { status: S; statusChanged: boolean },
) {
  return {
    id: newId(),
    incidentId,
    ...status,
    body: input.body,
    translations: input.translations ?? null,
    internalNote: input.internalNote ?? null,
    notify: input.notify ?? isBroadcastPriority(priority),
    state: 'scheduled' as const,
    nextUpdateDueAt: due,
    authorId: actor.type === 'user' ? actor.id : null,
    scheduledFor: input.scheduledFor,
    publishedAt: null,
    displayAt: input.scheduledFor,
    createdAt: now,
    updatedAt: now,
  };
}
