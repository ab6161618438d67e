import { and, asc, desc, eq, gte, inArray, isNotNull } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  components,
  incidents,
  incidentUpdates,
  updateAffectedComponents,
  users,
} from '../../../db/schema/index.ts';
import { readAudienceTexts } from '../audiences/audience-texts.ts';
import { promiseReport } from './promise.ts';
import { isLate } from './publish-due-updates.ts';

// What the admin sees of scheduled updates and promises. Public read services never show a
// scheduled update (they read state = 'published' only).

/** Updates waiting to go out, soonest first, with their incident (which may itself be scheduled). */
export async function readScheduledUpdates(db: DbOrTx) {
  const rows = await db
    .select({
      u: incidentUpdates,
      title: incidents.title,
      priority: incidents.priority,
      incidentPublishedAt: incidents.publishedAt,
      isDrill: incidents.isDrill,
    })
    .from(incidentUpdates)
    .innerJoin(incidents, eq(incidents.id, incidentUpdates.incidentId))
    .where(eq(incidentUpdates.state, 'scheduled'))
    .orderBy(asc(incidentUpdates.scheduledFor), asc(incidentUpdates.createdAt));
  return rows.map((r) => ({
    ...r.u,
    incidentTitle: r.title,
    incidentPriority: r.priority,
    isDrill: r.isDrill,
    newIncident: r.incidentPublishedAt === null,
  }));
}

/**
 * Scheduled updates that went out since `since`, each flagged when it went out late (Herald
 * was not running at its time): the admin is told, and the timeline keeps the intended time.
 */
export async function readScheduledPublished(db: DbOrTx, since: Date, limit = 50) {
  const rows = await db
    .select({ u: incidentUpdates, title: incidents.title })
    .from(incidentUpdates)
    .innerJoin(incidents, eq(incidents.id, incidentUpdates.incidentId))
    .where(
      and(
        eq(incidentUpdates.state, 'published'),
        isNotNull(incidentUpdates.scheduledFor),
        gte(incidentUpdates.publishedAt, since),
      ),
    )
    .orderBy(desc(incidentUpdates.publishedAt))
    .limit(limit);
  return rows.map((r) => {
    const late =
      r.u.scheduledFor && r.u.publishedAt ? isLate(r.u.scheduledFor, r.u.publishedAt) : false;
    const lateByMs =
      late && r.u.scheduledFor && r.u.publishedAt
        ? r.u.publishedAt.getTime() - r.u.scheduledFor.getTime()
        : 0;
    return { ...r.u, incidentTitle: r.title, late, lateByMs };
  });
}

/**
 * One scheduled (or already sent/cancelled) update with its intended component changes and the
 * texts written for named audiences (staff only: this is the admin's read).
 */
export async function readScheduledUpdate(db: DbOrTx, updateId: string) {
  const [row] = await db
    .select({ u: incidentUpdates, incident: incidents })
    .from(incidentUpdates)
    .innerJoin(incidents, eq(incidents.id, incidentUpdates.incidentId))
    .where(eq(incidentUpdates.id, updateId));
  if (!row || row.u.scheduledFor === null) return null;
  const intended = await db
    .select({
      componentId: updateAffectedComponents.componentId,
      status: updateAffectedComponents.newStatus,
      name: components.name,
    })
    .from(updateAffectedComponents)
    .innerJoin(components, eq(components.id, updateAffectedComponents.componentId))
    .where(eq(updateAffectedComponents.updateId, updateId));
  return {
    update: row.u,
    incident: row.incident,
    components: intended,
    audienceTexts: await readAudienceTexts(db, updateId),
  };
}

/** Whether every promise of an incident was kept, and by how much each was late. */
export async function readPromiseReport(db: DbOrTx, incidentId: string, now: Date) {
  const [incident] = await db.select().from(incidents).where(eq(incidents.id, incidentId));
  if (!incident) return null;
  const updates = await db
    .select()
    .from(incidentUpdates)
    .where(and(eq(incidentUpdates.incidentId, incidentId), eq(incidentUpdates.state, 'published')));
  const authorIds = [...new Set(updates.map((u) => u.authorId).filter((x): x is string => !!x))];
  const authors = authorIds.length
    ? await db
        .select({ id: users.id, email: users.email })
        .from(users)
        .where(inArray(users.id, authorIds))
    : [];
  const byId = new Map(updates.map((u) => [u.id, u]));
  const report = promiseReport(updates, now);
  return {
    incident,
    report,
    rows: report.entries.map((e) => {
      const promiser = byId.get(e.updateId);
      return {
        ...e,
        promisedBy:
          authors.find((a) => a.id === promiser?.authorId)?.email ??
          (promiser?.automatic ? 'Herald' : null),
      };
    }),
  };
}
