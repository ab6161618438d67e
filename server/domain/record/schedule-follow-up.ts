import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { followUps } from '../../../db/schema/index.ts';
import { loadIncident } from '../incidents/load-incident.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';
import { followsUp } from './follow-up-rules.ts';
import { instantInput } from '../shared/inputs.ts';
import { emailInput } from '../subscribers/inputs.ts';

export const scheduleFollowUpInput = z.strictObject({
  incidentId: z.string().min(1),
  scheduledFor: instantInput,
  body: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(10_000, 'must be at most 10,000 characters'),
  /** Where replies go; empty: the incident owner's address. */
  replyTo: emailInput.nullish(),
});

export async function loadFollowable(tx: Parameters<typeof loadIncident>[0], incidentId: string) {
  const incident = await loadIncident(tx, incidentId);
  if (incident.status !== 'resolved')
    throw new ConflictError('A follow-up comes after the all-clear: resolve the incident first.');
  if (!followsUp(incident.priority))
    throw new ConflictError(
      'Only P0 and P1 incidents are broadcast, so only they get a follow-up.',
    );
  const [existing] = await tx.select().from(followUps).where(eq(followUps.incidentId, incident.id));
  if (existing?.state === 'sent') throw new ConflictError('The follow-up has already been sent.');
  return { incident, existing };
}

/** Sets the follow-up's text and time (replacing Herald's proposal, or bringing back a skipped one). */
export const scheduleFollowUp = verb(scheduleFollowUpInput, scheduleFollowUpParsed);
async function scheduleFollowUpParsed(
  deps: DomainDeps,
  input: Parsed<typeof scheduleFollowUpInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  if (input.scheduledFor.getTime() <= now.getTime())
    throw new ValidationError('scheduledFor: must be in the future', {
      scheduledFor: 'must be in the future',
    });
  return deps.db.transaction(async (tx) => {
    const { incident, existing } = await loadFollowable(tx, input.incidentId);
    const set = {
      body: input.body,
      scheduledFor: input.scheduledFor,
      state: 'scheduled' as const,
      edited: true,
      replyTo: input.replyTo ?? null,
      updatedAt: now,
    };
    if (existing) await tx.update(followUps).set(set).where(eq(followUps.id, existing.id));
    else
      await tx
        .insert(followUps)
        .values({ id: newId(), incidentId: incident.id, createdAt: now, ...set });
    await recordAudit(tx, actor, now, {
      action: 'follow_up.schedule',
      objectType: 'incident',
      objectId: incident.id,
      before: existing
        ? {
            body: existing.body,
            scheduledFor: existing.scheduledFor.toISOString(),
            state: existing.state,
          }
        : null,
      after: { body: set.body, scheduledFor: set.scheduledFor.toISOString() },
    });
    const [row] = await tx.select().from(followUps).where(eq(followUps.incidentId, incident.id));
    return row!;
  });
}
