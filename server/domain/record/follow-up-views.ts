import { and, desc, eq, gte, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { followUps, incidents } from '../../../db/schema/index.ts';
import { loadIncident } from '../incidents/load-incident.ts';
import { getSettings } from '../settings/get-settings.ts';
import { defaultFollowUpBody, followsUp, nextWorkingDayAt10 } from './follow-up-rules.ts';

/**
 * An incident's follow-up: the row once there is one, else Herald's proposal as the scheduler
 * will write it (so the page shows it the moment the incident resolves). Null when the
 * incident gets none (unresolved, P2/P3).
 */
export async function readFollowUp(db: DbOrTx, incidentId: string) {
  const incident = await loadIncident(db, incidentId);
  if (incident.status !== 'resolved' || !followsUp(incident.priority)) return null;
  const [row] = await db.select().from(followUps).where(eq(followUps.incidentId, incidentId));
  if (row) return { ...row, proposed: !row.edited && row.state === 'scheduled' };
  const tz = (await getSettings(db)).timeZone;
  return {
    id: null,
    incidentId,
    body: defaultFollowUpBody(incident, tz),
    scheduledFor: nextWorkingDayAt10(incident.resolvedAt ?? incident.updatedAt, tz),
    state: 'scheduled' as const,
    edited: false,
    sentAt: null,
    broadcastId: null,
    replyTo: null,
    proposed: true,
  };
}

/** For the dashboard: follow-ups still to go out, and those sent or skipped in the last 14 days. */
export async function readFollowUpBoard(db: DbOrTx, now: Date) {
  const since = new Date(now.getTime() - 14 * 24 * 60 * 60_000);
  const rows = await db
    .select({ f: followUps, title: incidents.title, priority: incidents.priority })
    .from(followUps)
    .innerJoin(incidents, eq(incidents.id, followUps.incidentId))
    .where(
      and(
        inArray(followUps.state, ['scheduled', 'sent', 'skipped']),
        gte(followUps.updatedAt, since),
      ),
    )
    .orderBy(desc(followUps.scheduledFor));
  const pick = (s: string) =>
    rows
      .filter((r) => r.f.state === s)
      .map((r) => ({ ...r.f, title: r.title, priority: r.priority }));
  const scheduled = await db
    .select({ f: followUps, title: incidents.title, priority: incidents.priority })
    .from(followUps)
    .innerJoin(incidents, eq(incidents.id, followUps.incidentId))
    .where(eq(followUps.state, 'scheduled'))
    .orderBy(followUps.scheduledFor);
  return {
    due: scheduled.map((r) => ({ ...r.f, title: r.title, priority: r.priority })),
    sent: pick('sent'),
    skipped: pick('skipped'),
  };
}
