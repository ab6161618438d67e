import {
  resolveIncidentAudiences,
  writeIncidentAudiences,
} from '../audiences/incident-audiences.ts';
import { writeAudienceTexts } from '../audiences/audience-texts.ts';
import type { DbOrTx } from '../../../db/client.ts';
import { incidents } from '../../../db/schema/index.ts';
import { assertActiveUser } from '../users/active-user.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { defaultImpact } from '../status/rollup.ts';
import { declareIncidentInput } from './inputs.ts';
import { isBroadcastPriority, nextUpdateDue, readPromiseDefaults } from './promise.ts';
import { writePublishedUpdate } from './write-update.ts';

/** Declares an incident: the incident, its first update and its components, in one transaction. */
export const declareIncident = verb(declareIncidentInput, declareIncidentParsed);
async function declareIncidentParsed(
  deps: DomainDeps,
  input: Parsed<typeof declareIncidentInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  const defaults = await readPromiseDefaults(deps.db);
  const due = nextUpdateDue(now, input.priority, false, input, defaults);
  const notify = input.notify ?? isBroadcastPriority(input.priority);
  return deps.db.transaction(async (tx) => {
    const incident = await insertIncident(tx, input, actor, now, {
      publishedAt: now,
      startedAt: input.startedAt ?? now,
      monitoringAt: input.status === 'monitoring' ? now : null,
      nextUpdateDueAt: due,
    });
    const updateId = await writePublishedUpdate(
      tx,
      deps.config,
      incident,
      {
        status: input.status,
        statusChanged: true,
        body: input.body,
        translations: input.translations ?? null,
        internalNote: input.internalNote ?? null,
        notify,
        nextUpdateDueAt: due,
        authorId: actor.type === 'user' ? actor.id : null,
        components: input.components,
      },
      now,
    );
    await writeAudienceTexts(tx, updateId, input.audienceTexts);
    await recordAudit(tx, actor, now, {
      action: 'incident.declare',
      objectType: 'incident',
      objectId: incident.id,
      after: {
        ...incident,
        body: input.body,
        components: input.components,
        audiences: input.audiences,
      },
    });
    await bumpChanges(tx, now);
    return { incident, updateId };
  });
}

/**
 * Writes a new incident with its audiences, its owner checked active (the actor, a user, owns
 * it when none is named). A declared incident and a pre-announced one differ only in `timing`.
 */
export async function insertIncident(
  tx: DbOrTx,
  input: Omit<Parsed<typeof declareIncidentInput>, 'startedAt'>,
  actor: Actor,
  now: Date,
  timing: {
    publishedAt: Date | null;
    startedAt: Date;
    monitoringAt: Date | null;
    nextUpdateDueAt: Date | null;
  },
) {
  if (input.ownerId) await assertActiveUser(tx, 'ownerId', input.ownerId);
  const audienceIds = await resolveIncidentAudiences(tx, input.audiences);
  const incident = {
    id: newId(),
    title: input.title,
    priority: input.priority,
    status: input.status,
    impact:
      input.impact ??
      defaultImpact(
        input.priority,
        input.components.map((c) => c.status),
      ),
    ownerId: input.ownerId ?? (actor.type === 'user' ? actor.id : null),
    isDrill: input.isDrill,
    autoHolding: input.autoHolding,
    audienceOnly: audienceIds !== null,
    publishedAt: timing.publishedAt,
    startedAt: timing.startedAt,
    monitoringAt: timing.monitoringAt,
    resolvedAt: null,
    nextUpdateDueAt: timing.nextUpdateDueAt,
    reminderSentAt: null,
    promiseLateAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await tx.insert(incidents).values(incident);
  await writeIncidentAudiences(tx, incident.id, audienceIds);
  return incident;
}
