import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { incidentFacts } from '../../../db/schema/index.ts';
import { loadIncident } from '../incidents/load-incident.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { recordAudit } from '../shared/writes.ts';
import { factQuestions } from './inputs.ts';
import { instantInput } from '../shared/inputs.ts';
import { ValidationError } from '../shared/errors.ts';
import { getSettings } from '../settings/get-settings.ts';
import { formatLong } from '../shared/zoned-time.ts';

const answer = z.string().trim().max(5_000, 'must be at most 5,000 characters');

export const setIncidentFactsInput = z.strictObject({
  incidentId: z.string().min(1),
  /** Only the answers given change; an empty answer clears it. */
  facts: z.partialRecord(z.enum(factQuestions), answer),
  /**
   * "When did this start?" as a time (null clears it): the post-mortem's duration and the look
   * back's time to the first update count from it instead of the declaration.
   */
  startedAt: instantInput.nullish(),
});

/**
 * Writes answers on the fact sheet; each keeps who wrote it and when. Unchanged answers keep
 * their author, so the sheet says who last knew each thing.
 */
export const setIncidentFacts = verb(setIncidentFactsInput, setIncidentFactsParsed);
async function setIncidentFactsParsed(
  deps: DomainDeps,
  input: Parsed<typeof setIncidentFactsInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const incident = await loadIncident(tx, input.incidentId);
    const existing = await tx
      .select()
      .from(incidentFacts)
      .where(eq(incidentFacts.incidentId, incident.id));
    const before: Record<string, string> = {};
    const after: Record<string, string> = {};
    for (const [question, text] of Object.entries(input.facts) as [
      (typeof factQuestions)[number],
      string,
    ][]) {
      const row = existing.find((f) => f.question === question);
      if ((row?.answer ?? '') === text) continue;
      before[question] = row?.answer ?? '';
      after[question] = text;
      if (row && text === '') {
        await tx.delete(incidentFacts).where(eq(incidentFacts.id, row.id));
      } else if (row) {
        await tx
          .update(incidentFacts)
          .set({ answer: text, authorId: actor.id, authorLabel: actor.label, updatedAt: now })
          .where(and(eq(incidentFacts.id, row.id)));
      } else if (text !== '') {
        await tx.insert(incidentFacts).values({
          id: newId(),
          incidentId: incident.id,
          question,
          answer: text,
          authorId: actor.id,
          authorLabel: actor.label,
          updatedAt: now,
        });
      }
    }
    if (input.startedAt !== undefined) {
      if (input.startedAt && input.startedAt.getTime() > now.getTime() + 60_000)
        throw new ValidationError('startedAt: must not be in the future', {
          startedAt: 'must not be in the future',
        });
      const [row] = await tx
        .select()
        .from(incidentFacts)
        .where(
          and(eq(incidentFacts.incidentId, incident.id), eq(incidentFacts.question, 'started')),
        );
      const was = row?.at?.toISOString() ?? null;
      const next = input.startedAt?.toISOString() ?? null;
      if (was !== next) {
        before.startedAt = was ?? '';
        after.startedAt = next ?? '';
        if (row) {
          await tx
            .update(incidentFacts)
            .set({
              at: input.startedAt ?? null,
              authorId: actor.id,
              authorLabel: actor.label,
              updatedAt: now,
            })
            .where(eq(incidentFacts.id, row.id));
        } else if (input.startedAt) {
          // A time with no words: the answer says the time, in the page's zone.
          const tz = (await getSettings(tx)).timeZone;
          await tx.insert(incidentFacts).values({
            id: newId(),
            incidentId: incident.id,
            question: 'started',
            answer: formatLong(input.startedAt, tz),
            authorId: actor.id,
            authorLabel: actor.label,
            updatedAt: now,
            at: input.startedAt,
          });
        }
      }
    }
    const changed = Object.keys(after);
    if (changed.length > 0)
      await recordAudit(tx, actor, now, {
        action: 'incident.set_facts',
        objectType: 'incident',
        objectId: incident.id,
        before,
        after,
      });
    return { incidentId: incident.id, changed };
  });
}
