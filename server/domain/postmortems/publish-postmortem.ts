import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { postmortems } from '../../../db/schema/index.ts';
import { enqueueIncidentNotice } from '../broadcasts/enqueue-incident-notice.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError } from '../shared/errors.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { loadPostmortemOf } from './save-postmortem.ts';
import { postmortemMailedAt } from './postmortem-mailed.ts';

export const publishPostmortemInput = z.strictObject({
  incidentId: z.string().min(1),
  /** Also email the lists that got the incident (`PRIORITY n ISSUE POST-MORTEM: TITLE`). */
  notify: z.boolean({ error: 'must be true or false' }).default(false),
  /**
   * When the publisher reviewed the publication preview: the post-mortem's `updatedAt` then.
   * Publishing is refused if it was saved again since, so what goes out is what was reviewed.
   */
  reviewedVersion: z.iso.datetime({ error: 'must be an ISO 8601 time' }).optional(),
});

/**
 * Puts the post-mortem's public part on the incident page, in the feeds and in the v2 API, in
 * one transaction with its optional broadcast. The internal part stays with the team.
 */
export const publishPostmortem = verb(publishPostmortemInput, publishPostmortemParsed);
async function publishPostmortemParsed(
  deps: DomainDeps,
  input: Parsed<typeof publishPostmortemInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const { incident, postmortem: pm } = await loadPostmortemOf(tx, input.incidentId);
    if (!pm) throw new ConflictError('Write the post-mortem (save it) before publishing it.');
    if (input.reviewedVersion && pm.updatedAt.toISOString() !== input.reviewedVersion)
      throw new ConflictError(
        'The post-mortem was saved again after you reviewed it: review the publication again.',
      );
    if (pm.publicBody.trim() === '')
      throw new ConflictError(
        'The public part is empty: write what customers should read, save, then publish.',
      );
    // The lists read a post-mortem once; an edit is on the page, not in a second email.
    const mailedAt = input.notify ? await postmortemMailedAt(tx, incident.id) : null;
    if (mailedAt)
      throw new ConflictError(
        `This post-mortem was already emailed to the lists (${mailedAt.toISOString()}): publish it without email; the page, feeds and API show the edit.`,
      );
    const publishedAt = pm.publishedAt ?? now;
    await tx.update(postmortems).set({ publishedAt }).where(eq(postmortems.id, pm.id));
    await bumpChanges(tx, now);
    const broadcast = input.notify
      ? await enqueueIncidentNotice(
          tx,
          deps.config,
          { incidentId: incident.id, kind: 'incident_postmortem' },
          now,
        )
      : null;
    await recordAudit(tx, actor, now, {
      action: 'postmortem.publish',
      objectType: 'incident',
      objectId: incident.id,
      after: { publishedAt: publishedAt.toISOString(), notify: input.notify },
    });
    return { ...pm, publishedAt, broadcast };
  });
}

export const unpublishPostmortemInput = z.strictObject({ incidentId: z.string().min(1) });
