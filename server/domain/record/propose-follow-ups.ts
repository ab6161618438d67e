import { and, eq, gte, isNotNull, isNull, lte } from 'drizzle-orm';
import { followUps, incidents } from '../../../db/schema/index.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { getSettings } from '../settings/get-settings.ts';
import { newId } from '../shared/ids.ts';
import { defaultFollowUpBody, nextWorkingDayAt10 } from './follow-up-rules.ts';

const WEEK = 7 * 24 * 60 * 60_000;

/**
 * Writes Herald's proposal for every recently resolved P0/P1 incident that has none: the
 * default text at the next working day, 10:00. It goes out unless someone skips it. The unique
 * index on incident_id keeps two processes from proposing twice.
 */
export async function proposeFollowUps(
  deps: DomainDeps,
): Promise<{ incidentId: string; scheduledFor: Date }[]> {
  const now = deps.clock.now();
  const rows = await deps.db
    .select({ i: incidents })
    .from(incidents)
    .leftJoin(followUps, eq(followUps.incidentId, incidents.id))
    .where(
      and(
        eq(incidents.status, 'resolved'),
        lte(incidents.priority, 1),
        isNotNull(incidents.publishedAt),
        gte(incidents.resolvedAt, new Date(now.getTime() - WEEK)),
        isNull(followUps.id),
      ),
    );
  if (rows.length === 0) return [];
  const tz = (await getSettings(deps.db)).timeZone;
  const out = [];
  for (const { i } of rows) {
    const scheduledFor = nextWorkingDayAt10(i.resolvedAt!, tz);
    // Herald was down past the time: too late for a "next day" follow-up to mean anything.
    const stale = scheduledFor.getTime() < now.getTime() - 6 * 60 * 60_000;
    const inserted = await deps.db
      .insert(followUps)
      .values({
        id: newId(),
        incidentId: i.id,
        body: defaultFollowUpBody(i, tz),
        scheduledFor,
        state: stale ? 'skipped' : 'scheduled',
        edited: false,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning();
    if (inserted.length) out.push({ incidentId: i.id, scheduledFor });
  }
  return out;
}
