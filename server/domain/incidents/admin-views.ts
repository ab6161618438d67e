import { readIncidentAudiences } from '../audiences/incident-audiences.ts';
import { and, asc, desc, eq, inArray, ne } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import {
  components,
  incidentComponents,
  incidents,
  incidentUpdates,
  maintenances,
  updateAffectedComponents,
  users,
} from '../../../db/schema/index.ts';
import { promiseState } from './promise.ts';
import { findIncident } from './load-incident.ts';

// What the admin sees of incidents: everything, including drills, internal notes and priority
// changes with their reasons, which the public read services leave out.

/** A promise as the admin dashboard shows it; the rule itself is promiseState in promise.ts. */
export interface PromiseView {
  dueAt: Date | null;
  /** Minutes until the promised update; negative when overdue. */
  minutesLeft: number | null;
  overdue: boolean;
  /** Within REMINDER_LEAD_MS of lapsing: the owner has been reminded. */
  dueSoon: boolean;
  /** "in 12 min", "OVERDUE by 3 min", "none promised". */
  text: string;
}

function minutes(n: number): string {
  if (n < 60) return `${n} min`;
  const h = Math.floor(n / 60);
  const m = n % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

export function describePromise(
  incident: { status: string; nextUpdateDueAt: Date | null },
  now: Date,
): PromiseView {
  const { state, msLeft } = promiseState(incident, now);
  if (msLeft === null)
    return {
      dueAt: null,
      minutesLeft: null,
      overdue: false,
      dueSoon: false,
      text: 'none promised',
    };
  const minutesLeft = msLeft >= 0 ? Math.ceil(msLeft / 60_000) : -Math.ceil(-msLeft / 60_000);
  const overdue = state === 'overdue';
  return {
    dueAt: incident.nextUpdateDueAt,
    minutesLeft,
    overdue,
    dueSoon: state === 'due_soon',
    text: overdue
      ? `OVERDUE by ${minutes(Math.max(1, -minutesLeft))}`
      : `in ${minutes(minutesLeft)}`,
  };
}

async function emailsById(db: DbOrTx, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((x): x is string => !!x))];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(inArray(users.id, wanted));
  return new Map(rows.map((r) => [r.id, r.email]));
}

export async function readActiveIncidents(db: DbOrTx, now: Date) {
  const rows = await db
    .select()
    .from(incidents)
    .where(ne(incidents.status, 'resolved'))
    .orderBy(asc(incidents.priority), desc(incidents.startedAt));
  const owners = await emailsById(
    db,
    rows.map((r) => r.ownerId),
  );
  return (await withAudiences(db, rows)).map((r) => ({
    ...r,
    ownerEmail: r.ownerId ? (owners.get(r.ownerId) ?? null) : null,
    promise: describePromise(r, now),
  }));
}

export async function readRecentUpdates(db: DbOrTx, limit = 10) {
  const rows = await db
    .select({ u: incidentUpdates, title: incidents.title, priority: incidents.priority })
    .from(incidentUpdates)
    .innerJoin(incidents, eq(incidents.id, incidentUpdates.incidentId))
    // Scheduled and cancelled updates have their own admin page (/admin/scheduled).
    .where(eq(incidentUpdates.state, 'published'))
    .orderBy(desc(incidentUpdates.displayAt), desc(incidentUpdates.createdAt))
    .limit(limit);
  const authors = await emailsById(
    db,
    rows.map((r) => r.u.authorId),
  );
  return rows.map((r) => ({
    ...r.u,
    incidentTitle: r.title,
    incidentPriority: r.priority,
    authorEmail: r.u.authorId ? (authors.get(r.u.authorId) ?? null) : null,
  }));
}

export async function readUpcomingMaintenance(db: DbOrTx, limit = 10) {
  return db
    .select()
    .from(maintenances)
    .where(inArray(maintenances.status, ['scheduled', 'in_progress', 'verifying']))
    .orderBy(asc(maintenances.scheduledFor))
    .limit(limit);
}

/** One incident with its full timeline (newest first) for the admin, or null. */
export async function readAdminIncident(db: DbOrTx, id: string, now: Date) {
  const row = await findIncident(db, id);
  if (!row) return null;
  const updates = await db
    .select()
    .from(incidentUpdates)
    .where(eq(incidentUpdates.incidentId, id))
    .orderBy(desc(incidentUpdates.displayAt), desc(incidentUpdates.createdAt));
  const affected = updates.length
    ? await db
        .select({ a: updateAffectedComponents, name: components.name })
        .from(updateAffectedComponents)
        .innerJoin(components, eq(components.id, updateAffectedComponents.componentId))
        .where(
          inArray(
            updateAffectedComponents.updateId,
            updates.map((u) => u.id),
          ),
        )
    : [];
  const linked = await db
    .select({
      componentId: incidentComponents.componentId,
      status: incidentComponents.status,
      name: components.name,
    })
    .from(incidentComponents)
    .innerJoin(components, eq(components.id, incidentComponents.componentId))
    .where(and(eq(incidentComponents.incidentId, id)))
    .orderBy(asc(incidentComponents.position));
  const people = await emailsById(db, [row.ownerId, ...updates.map((u) => u.authorId)]);
  const [marked] = await withAudiences(db, [row]);
  return {
    incident: {
      ...marked!,
      ownerEmail: row.ownerId ? (people.get(row.ownerId) ?? null) : null,
      promise: describePromise(row, now),
    },
    components: linked,
    updates: updates.map((u) => ({
      ...u,
      authorEmail: u.authorId ? (people.get(u.authorId) ?? null) : null,
      isPriorityChange: u.priorityTo !== null,
      changes: affected
        .filter((a) => a.a.updateId === u.id)
        .map((a) => ({ name: a.name, oldStatus: a.a.oldStatus, newStatus: a.a.newStatus })),
    })),
  };
}

export async function readAdminIncidentList(db: DbOrTx, limit = 50) {
  const rows = await db.select().from(incidents).orderBy(desc(incidents.startedAt)).limit(limit);
  return withAudiences(db, rows);
}

/**
 * Who may see each incident, for the admin's mark: "everyone", or the audiences it is for
 * (an empty list once every chosen audience was removed: then staff audiences only).
 */
async function withAudiences<T extends { id: string; audienceOnly: boolean }>(
  db: DbOrTx,
  rows: T[],
): Promise<(T & { audiences: 'everyone' | { slug: string; name: string }[] })[]> {
  const chosen = await readIncidentAudiences(
    db,
    rows.filter((r) => r.audienceOnly).map((r) => r.id),
  );
  return rows.map((r) => ({
    ...r,
    audiences: r.audienceOnly ? (chosen.get(r.id) ?? []) : ('everyone' as const),
  }));
}
