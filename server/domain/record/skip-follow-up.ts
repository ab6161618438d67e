import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { followUps } from '../../../db/schema/index.ts';
import { getSettings } from '../settings/get-settings.ts';
import { type Actor, assertRole } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { newId } from '../shared/ids.ts';
import { parseInput } from '../shared/parse.ts';
import { recordAudit } from '../shared/writes.ts';
import { defaultFollowUpBody, nextWorkingDayAt10 } from './follow-up-rules.ts';
import { loadFollowable } from './schedule-follow-up.ts';

export const skipFollowUpInput = z.strictObject({ incidentId: z.string().min(1) });

/** No follow-up for this incident (Herald's proposal, or one already scheduled, is dropped). */
export async function skipFollowUp(
  deps: DomainDeps,
  raw: z.input<typeof skipFollowUpInput>,
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const input = parseInput(skipFollowUpInput, raw);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const { incident, existing } = await loadFollowable(tx, input.incidentId);
    if (existing)
      await tx
        .update(followUps)
        .set({ state: 'skipped', updatedAt: now })
        .where(eq(followUps.id, existing.id));
    else {
      const tz = (await getSettings(tx)).timeZone;
      await tx.insert(followUps).values({
        id: newId(),
        incidentId: incident.id,
        body: defaultFollowUpBody(incident, tz),
        scheduledFor: nextWorkingDayAt10(incident.resolvedAt ?? now, tz),
        state: 'skipped',
        edited: true,
        createdAt: now,
        updatedAt: now,
      });
    }
    await recordAudit(tx, actor, now, {
      action: 'follow_up.skip',
      objectType: 'incident',
      objectId: incident.id,
      before: existing ? { state: existing.state } : null,
      after: { state: 'skipped' },
    });
    const [row] = await tx.select().from(followUps).where(eq(followUps.incidentId, incident.id));
    return row!;
  });
}
