import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../../db/client.ts';
import { postmortems } from '../../../db/schema/index.ts';
import { loadIncident } from '../incidents/load-incident.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError, ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';

/** Long enough for a thorough write-up, short enough that no page or email chokes on it. */
export const POSTMORTEM_MAX = 100_000;

const part = z
  .string({ error: 'must be text' })
  .trim()
  .max(POSTMORTEM_MAX, `must be at most ${POSTMORTEM_MAX.toLocaleString('en-US')} characters`)
  .default('');

/**
 * The two parts, each with its audience: `publicBody` is what publishing shows everyone;
 * `internalBody` is for staff and is never published.
 */
export const savePostmortemInput = z
  .strictObject({ incidentId: z.string().min(1), publicBody: part, internalBody: part })
  .refine((v) => v.publicBody !== '' || v.internalBody !== '', {
    message: 'write the public part, the internal part or both',
    path: ['publicBody'],
  });

/**
 * The incident a post-mortem is written for, resolved (a post-mortem comes after the
 * all-clear), with its post-mortem when one was saved.
 */
export async function loadPostmortemOf(tx: DbOrTx, incidentId: string) {
  const incident = await loadIncident(tx, incidentId);
  if (incident.status !== 'resolved')
    throw new ConflictError('A post-mortem comes after the all-clear: resolve the incident first.');
  const [postmortem] = await tx
    .select()
    .from(postmortems)
    .where(eq(postmortems.incidentId, incident.id));
  return { incident, postmortem };
}

/**
 * Writes the post-mortem's two parts (Markdown). A published one changes where it is shown at
 * once (as Statuspage does), so the page cache is bumped then; it cannot lose its public part
 * while published.
 */
export const savePostmortem = verb(savePostmortemInput, savePostmortemParsed);
async function savePostmortemParsed(
  deps: DomainDeps,
  input: Parsed<typeof savePostmortemInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const { incident, postmortem: before } = await loadPostmortemOf(tx, input.incidentId);
    if (before?.publishedAt && input.publicBody === '')
      throw new ValidationError('A published post-mortem needs its public part.', {
        publicBody: 'is required while published (unpublish it first to empty it)',
      });
    const parts = { publicBody: input.publicBody, internalBody: input.internalBody };
    if (before) {
      await tx
        .update(postmortems)
        .set({ ...parts, authorLabel: actor.label, updatedAt: now })
        .where(eq(postmortems.id, before.id));
      if (before.publishedAt) await bumpChanges(tx, now);
    } else {
      await tx.insert(postmortems).values({
        id: newId(),
        incidentId: incident.id,
        ...parts,
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
      before: before ? { publicBody: before.publicBody, internalBody: before.internalBody } : null,
      after: parts,
    });
    const [row] = await tx
      .select()
      .from(postmortems)
      .where(eq(postmortems.incidentId, incident.id));
    return row!;
  });
}
