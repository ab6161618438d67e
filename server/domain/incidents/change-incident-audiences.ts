import { eq } from 'drizzle-orm';
import { z } from 'zod';
import {
  components,
  incidentAudiences,
  incidentComponents,
  incidents,
} from '../../../db/schema/index.ts';
import {
  incidentAudiencesInput,
  readIncidentAudiences,
  resolveIncidentAudiences,
  writeIncidentAudiences,
} from '../audiences/incident-audiences.ts';
import { applyComponentStatus } from '../components/apply-component-status.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { ConflictError } from '../shared/errors.ts';
import { idInput } from '../shared/inputs.ts';
import { type Parsed, verb } from '../shared/verb.ts';
import { bumpChanges, recordAudit } from '../shared/writes.ts';
import { worstComponentStatus } from '../status/rollup.ts';
import { loadIncident } from './load-incident.ts';

export const changeIncidentAudiencesInput = z.strictObject({
  incidentId: idInput,
  audiences: incidentAudiencesInput.unwrap(),
});

export const NARROWING_REFUSED =
  'This incident has been public: its page, feeds and mail have gone out and readers, feed ' +
  'readers and caches may keep them, so hiding it now would not unsay it. Post an update ' +
  'instead, or declare a new incident for the chosen audiences.';

/**
 * Changes who may see an incident. An audience-only incident may be widened to everyone (it
 * joins every public surface at once, and while it is unresolved its component impact becomes
 * the public status) or given other audiences. A public incident is never narrowed: what it
 * said has already been published.
 */
export const changeIncidentAudiences = verb(
  changeIncidentAudiencesInput,
  changeIncidentAudiencesParsed,
);
async function changeIncidentAudiencesParsed(
  deps: DomainDeps,
  input: Parsed<typeof changeIncidentAudiencesInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const before = await loadIncident(tx, input.incidentId);
    const had = (await readIncidentAudiences(tx, [before.id])).get(before.id) ?? [];
    if (!before.audienceOnly) {
      if (input.audiences === 'everyone') return { incidentId: before.id, audiences: 'everyone' };
      throw new ConflictError(NARROWING_REFUSED);
    }
    const audienceIds = await resolveIncidentAudiences(tx, input.audiences);
    await tx.delete(incidentAudiences).where(eq(incidentAudiences.incidentId, before.id));
    await writeIncidentAudiences(tx, before.id, audienceIds);
    if (audienceIds === null) {
      await tx
        .update(incidents)
        .set({ audienceOnly: false, updatedAt: now })
        .where(eq(incidents.id, before.id));
      // Its impact was its audiences' alone; now it is the public status, with its history.
      if (before.status !== 'resolved' && before.publishedAt && !before.isDrill) {
        // Worse news from another incident on the same component stays.
        const links = await tx
          .select({ id: incidentComponents.componentId, said: incidentComponents.status })
          .from(incidentComponents)
          .innerJoin(components, eq(components.id, incidentComponents.componentId))
          .where(eq(incidentComponents.incidentId, before.id));
        const current = new Map(
          (await tx.select({ id: components.id, status: components.status }).from(components)).map(
            (c) => [c.id, c.status],
          ),
        );
        for (const l of links) {
          const status = worstComponentStatus([l.said, current.get(l.id) ?? 'operational']);
          await applyComponentStatus(tx, l.id, status, now, { incidentId: before.id });
        }
      }
    }
    await recordAudit(tx, actor, now, {
      action: 'incident.change_audiences',
      objectType: 'incident',
      objectId: before.id,
      before: { audiences: had.map((a) => a.slug) },
      after: { audiences: input.audiences },
    });
    await bumpChanges(tx, now);
    return { incidentId: before.id, audiences: input.audiences };
  });
}
