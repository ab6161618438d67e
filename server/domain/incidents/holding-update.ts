import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { idInput, intInput } from '../shared/inputs.ts';
import { incidents } from '../../../db/schema/index.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { recordAudit } from '../shared/writes.ts';
import { loadIncident } from './load-incident.ts';
import { postIncidentUpdate } from './post-incident-update.ts';
import {
  DEFAULT_PROMISE_MINUTES,
  defaultPromiseMinutes,
  holdingBody,
  holdingTranslations,
  readPromiseDefaults,
} from './promise.ts';
import { type Parsed, verb } from '../shared/verb.ts';

export const postHoldingUpdateInput = z.strictObject({
  incidentId: idInput,
  /** Left out: the priority's default from the settings. */
  nextUpdateInMinutes: intInput(
    1,
    24 * 60,
    'must be a whole number of minutes, 1 to a day',
  ).optional(),
});

/**
 * The one-click update, "Nothing to update. Still investigating. Next update in 15 minutes.",
 * worded for the incident's status and promising the priority's default unless told otherwise.
 */
export const postHoldingUpdate = verb(postHoldingUpdateInput, postHoldingUpdateParsed);
async function postHoldingUpdateParsed(
  deps: DomainDeps,
  input: Parsed<typeof postHoldingUpdateInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const incident = await loadIncident(deps.db, input.incidentId);
  const minutes = await holdingMinutes(deps, incident.priority, input.nextUpdateInMinutes);
  return postIncidentUpdate(
    deps,
    {
      incidentId: input.incidentId,
      body: holdingBody(incident.status, minutes),
      translations: holdingTranslations(incident.status, minutes),
      nextUpdateInMinutes: minutes,
    },
    actor,
  );
}

/** The minutes a holding update promises: the chosen ones, else the priority's default. */
export async function holdingMinutes(
  deps: DomainDeps,
  priority: number,
  chosen?: number,
): Promise<number> {
  return (
    chosen ??
    defaultPromiseMinutes(await readPromiseDefaults(deps.db), priority) ??
    DEFAULT_PROMISE_MINUTES
  );
}

export const setAutoHoldingInput = z.strictObject({
  incidentId: idInput,
  autoHolding: z.boolean({ error: 'must be true or false' }),
});

/** The per-incident choice to let Herald post the holding update itself when a promise lapses. */
export const setAutoHolding = verb(setAutoHoldingInput, setAutoHoldingParsed);
async function setAutoHoldingParsed(
  deps: DomainDeps,
  input: Parsed<typeof setAutoHoldingInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await loadIncident(tx, input.incidentId);
    await tx
      .update(incidents)
      .set({ autoHolding: input.autoHolding, updatedAt: now })
      .where(eq(incidents.id, before.id));
    await recordAudit(tx, actor, now, {
      action: 'incident.set_auto_holding',
      objectType: 'incident',
      objectId: before.id,
      before: { autoHolding: before.autoHolding },
      after: { autoHolding: input.autoHolding },
    });
    return { incidentId: before.id, autoHolding: input.autoHolding };
  });
}
