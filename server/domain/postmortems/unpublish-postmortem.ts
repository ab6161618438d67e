import { eq } from 'drizzle-orm';
import type { z } from 'zod';
import { postmortems } from '../../../db/schema/index.ts';
import { loadIncident } from '../incidents/load-incident.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError } from '../shared/errors.ts';
import { parseInput } from '../shared/parse.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { unpublishPostmortemInput } from './publish-postmortem.ts';

/** Takes the post-mortem off the page, the feeds and the API; it stays as a draft. */
export async function unpublishPostmortem(
  deps: DomainDeps,
  raw: z.input<typeof unpublishPostmortemInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const input = parseInput(unpublishPostmortemInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const incident = await loadIncident(tx, input.incidentId);
    const [pm] = await tx.select().from(postmortems).where(eq(postmortems.incidentId, incident.id));
    if (!pm?.publishedAt) throw new ConflictError('The post-mortem is not published.');
    await tx.update(postmortems).set({ publishedAt: null }).where(eq(postmortems.id, pm.id));
    await bumpChanges(tx, now);
    await recordAudit(tx, actor, now, {
      action: 'postmortem.unpublish',
      objectType: 'incident',
      objectId: incident.id,
      before: { publishedAt: pm.publishedAt.toISOString() },
    });
    return { ...pm, publishedAt: null };
  });
}
