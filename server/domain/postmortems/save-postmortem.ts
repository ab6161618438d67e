import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { postmortems } from '../../../db/schema/index.ts';
import { loadIncident } from '../incidents/load-incident.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';

/** Long enough for a thorough write-up, short enough that no page or email chokes on it. */
export const POSTMORTEM_MAX = 100_000;

export const savePostmortemInput = z.strictObject({
  incidentId: z.string().min(1),
  body: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(POSTMORTEM_MAX, `must be at most ${POSTMORTEM_MAX.toLocaleString('en-US')} characters`),
});

export function assertResolved(incident: { status: string }) {
  if (incident.status !== 'resolved')
    throw new ConflictError('A post-mortem comes after the all-clear: resolve the incident first.');
}

/**
 * Writes the post-mortem's Markdown. A published one changes where it is shown at once (as
 * Statuspage does), so the page cache is bumped then.
 */
export async function savePostmortem(
  deps: DomainDeps,
  raw: z.input<typeof savePostmortemInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const input = parseInput(savePostmortemInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const incident = await loadIncident(tx, input.incidentId);
    assertResolved(incident);
    const [before] = await tx
      .select()
      .from(postmortems)
      .where(eq(postmortems.incidentId, incident.id));
    if (before) {
      await tx
        .update(postmortems)
        .set({ body: input.body, authorLabel: actor.label, updatedAt: now })
        .where(eq(postmortems.id, before.id));
      if (before.publishedAt) await bumpChanges(tx, now);
    } else {
      await tx.insert(postmortems).values({
        id: newId(),
        incidentId: incident.id,
        body: input.body,
        authorLabel: actor.label,
        publishedAt: null,
        createdAt: now,
        updatedAt: now,
      });
    }
    await recordAudit(tx, actor, now, {
      action: 'postmortem.save',
      objectType: 'incident',
      objectId: incident.id,
      before: before ? { body: before.body } : null,
      after: { body: input.body },
    });
    const [row] = await tx
      .select()
      .from(postmortems)
      .where(eq(postmortems.incidentId, incident.id));
    return row!;
  });
}
